import { getMessaging } from '../default-messaging.js';
import { InvalidArgumentError, MessagingNotConfiguredError } from '../errors/index.js';
import type { Messaging } from '../messaging.js';
import { CliExit, exitCodes } from './exit.js';

/**
 * The default instance a command's modules configured (or the environment describes); a usage
 * error, exit code 2, when there is none or its configuration is invalid.
 *
 * @example
 * const messaging = configuredMessaging();
 */
export function configuredMessaging(): Messaging {
  try {
    return getMessaging();
  } catch (error) {
    if (error instanceof MessagingNotConfiguredError) throw new CliExit(exitCodes.usage, error.message);
    if (error instanceof InvalidArgumentError) {
      throw new CliExit(exitCodes.usage, `the messaging configuration in the environment is invalid: ${error.message}`);
    }
    throw error;
  }
}
