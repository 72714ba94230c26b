// Errors the CLI reports as one clear line with exit code 2 (bad usage or unreadable input).
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
