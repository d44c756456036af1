package dev.ferry;

/** Ferry's entry point. */
public final class Ferry {
    private Ferry() {
    }

    public static void main(String[] args) {
        System.out.println("ferry");
    }
}
