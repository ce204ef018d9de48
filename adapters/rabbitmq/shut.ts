import type { Channel, ChannelModel } from 'amqplib';

/**
 * How long stopping and closing wait for the broker's answers (cancel-ok, close-ok). A broker
 * that went silent (a network partition) never sends them, and amqplib would wait for its
 * heartbeat timeout, minutes; past this, the adapter stops waiting (see {@link shut}).
 */
export const CLOSE_WAIT_MS = 3000;

/**
 * Closes a connection or a channel and resolves once it closed, or after CLOSE_WAIT_MS; never
 * rejects. amqplib's close() never settles when the socket dies before the broker's close-ok;
 * 'close' fires. A broker that went silent sends no close-ok and the socket stays up: after
 * CLOSE_WAIT_MS a connection's socket is destroyed (amqplib then closes it and its channels),
 * and a channel is left to its connection.
 *
 * @example
 * await shut(channel);
 */
export function shut(target: ChannelModel | Channel): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if ('createChannel' in target) {
        const { stream } = target.connection as unknown as { stream?: { destroy(error?: Error): void } };
        stream?.destroy(new Error(`RabbitMQ did not confirm the close within ${CLOSE_WAIT_MS} ms`));
      }
      resolve();
    }, CLOSE_WAIT_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    target.once('close', done);
    target.close().then(done, done);
  });
}
