/** An error a client caused: its HTTP status, a message naming what is wrong, and the field when there is one. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message)
  }
}
