/**
 * The few domain errors Sluice throws on purpose. The one error handler in
 * `src/web/error-handler.ts` maps them to status codes; anything else is a bug
 * and becomes a 500 whose body never carries internals.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed: the message says what is wrong (400). */
export class BadRequestError extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}

/** Credentials are missing, malformed or ambiguous (401). */
export class UnauthorizedError extends HttpError {
  constructor(message: string) {
    super(401, message);
  }
}

/** Credentials are understood but not allowed here (403). */
export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, message);
  }
}

/** The thing does not exist, or the caller may not know that it does (404). */
export class NotFoundError extends HttpError {
  constructor(message = 'not found') {
    super(404, message);
  }
}

/** A size limit was crossed; the message names the limit (413). */
export class PayloadTooLargeError extends HttpError {
  constructor(message: string) {
    super(413, message);
  }
}

/** The body is in an encoding or format we do not speak (415). */
export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string) {
    super(415, message);
  }
}

/** Too many attempts of something guarded (sign-in); the message says when to retry (429). */
export class TooManyRequestsError extends HttpError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, message, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}

/** The server is temporarily unable to take the request; the client may retry (503). */
export class ServiceUnavailableError extends HttpError {
  constructor(message: string, retryAfterSeconds = 5) {
    super(503, message, { 'retry-after': String(retryAfterSeconds) });
  }
}
