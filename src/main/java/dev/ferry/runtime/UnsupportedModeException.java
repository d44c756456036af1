package dev.ferry.runtime;

import dev.ferry.config.FrontendConfig;

/** A frontend asks for a mode this version of Ferry cannot serve yet. */
public final class UnsupportedModeException extends RuntimeException {
    public UnsupportedModeException(FrontendConfig frontend) {
        super("frontend '" + frontend.name() + "': mode " + frontend.mode().key()
                + " is not available in this version; use mode tcp");
    }
}
