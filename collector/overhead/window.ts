// How far (either side of a guest run) a baseline run may be and still be compared with it.
export const DEFAULT_WINDOW_MS = 24 * 3_600_000;
