// What every HTTP server of the engine shares: loopback request checks and bounds on slow clients.
export { freePort } from "./free-port.ts";
export { isLoopbackHost, loopbackRequestProblem, parseHostHeader } from "./loopback.ts";
export { boundServer, closeAfterAnswer, paceBody, DEFAULT_BODY_PACE, DEFAULT_SERVER_BOUNDS, type BodyPace, type ServerBounds } from "./limits.ts";
