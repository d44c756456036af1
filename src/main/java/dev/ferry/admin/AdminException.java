package dev.ferry.admin;

/** A request the admin API refuses, with the status and the words it answers with. */
final class AdminException extends Exception {
    private final int status;
    private final String error;

    AdminException(int status, String error, String detail) {
        super(detail);
        this.status = status;
        this.error = error;
    }

    int status() {
        return status;
    }

    String error() {
        return error;
    }
}
