/** The input breaks a directory rule; the admin API answers 400 invalid_request. */
export class DirectoryValidationError extends Error {
  override readonly name = 'DirectoryValidationError';
}

/** Another user already holds this sub, username, e-mail address or phone number, or held this sub (409). */
export class DirectoryConflictError extends Error {
  override readonly name = 'DirectoryConflictError';

  constructor(
    readonly field: 'sub' | 'username' | 'email' | 'phone_number',
    message = `a user with this ${field} already exists`,
  ) {
    super(message);
  }
}

/** A device was registered for a user the directory does not know (404). */
export class UnknownUserError extends Error {
  override readonly name = 'UnknownUserError';

  constructor(readonly subject: string) {
    super('no user has this sub');
  }
}

/** The user has as many devices as MAX_DEVICES_PER_USER allows (409): one must be revoked first. */
export class TooManyDevicesError extends Error {
  override readonly name = 'TooManyDevicesError';

  constructor(readonly maxDevices: number) {
    super(`the user has ${maxDevices} devices, the most allowed: revoke one before adding another`);
  }
}
