// The texts are plain constants so that `--help` works without configuration or a broker.

const consumerUsage = 'Usage: eventwire consumer <module>... [--topic <topic>]... [--grace-ms <ms>] [--health-port <port> [--health-host <host>]]\n                          [--outbox-relay [--outbox-table <name>]]';

const consumerOptions = `Options:
  --topic <topic>    Run only the consumers of this topic; repeat for several.
                     Default: every consumer the modules registered.
  --grace-ms <ms>    After SIGTERM or SIGINT, how long in-flight messages may take to
                     finish before the process exits with code 1. Default: 30000.
  --health-port <port>
                     Serve health probes over HTTP on this port (1-65535, on
                     every interface unless --health-host says otherwise) until
                     the process exits: GET /healthz answers 200 while the
                     worker is live, GET /readyz 200 while it is ready
                     (connected, not stopping), else 503; the body is the JSON
                     of messaging.health(). GET /metrics answers eventwire's
                     metrics (and any others on prom-client's global registry)
                     in Prometheus text format when the package prom-client is
                     installed, else 404. Default: no server.
  --health-host <host>
                     With --health-port: the address to listen on, an IP address
                     of this machine (127.0.0.1 for probes from the same host or
                     pod only) or a host name. Default: every interface, which a
                     Kubernetes probe needs (the kubelet connects to the pod IP).
  --outbox-relay     Also run the outbox relay (eventwire outbox relay) in this
                     process, on the database DATABASE_URL names (pg must be
                     installed): started once the consumers are subscribed,
                     stopped with them. Default: no relay.
  --outbox-table <name>
                     The relay's outbox table. Default: eventwire_outbox.
  -h, --help         Show this help.`;

const exitCodesText = `Exit codes:
  0  Stopped cleanly after SIGTERM or SIGINT.
  1  Runtime failure: broker unreachable, a subscription failed, the --health-port
     port or --health-host address cannot be listened on, the grace period
     passed, or a second signal arrived while draining (the same signal again
     within 1 s, as a launcher forwarding Ctrl-C sends it, counts once).
  2  Usage error: no module given, unknown option, bad --grace-ms, no consumers
     registered, unknown --topic, bad --health-port or --health-host,
     messaging not configured; with --outbox-relay, no DATABASE_URL or no
     outbox table.
  3  A module failed to import.`;

const environmentText = `Environment (used unless a module calls configureMessaging()):
  MESSAGING_BROKER         kafka, rabbitmq, redis or memory.
  KAFKA_BOOTSTRAP_SERVERS  Kafka brokers, host:port[,host:port]. Default: localhost:9092.
  RABBITMQ_URL             amqp:// or amqps:// URL. Default: amqp://localhost:5672.
  REDIS_URL                redis:// or rediss:// URL. Default: redis://localhost:6379.
  REDIS_SENTINEL_NAME      The primary's name at Sentinel; REDIS_URL then lists the Sentinels.
  MESSAGING_SOURCE         Service name written into events; default group ids start with it.
  MESSAGING_DEFAULT_TOPIC  Topic of events published without one.
  DATABASE_URL             The outbox's database, with --outbox-relay.`;

const exampleText = `Examples:
  MESSAGING_BROKER=kafka KAFKA_BOOTSTRAP_SERVERS=kafka:9092 \\
    eventwire consumer ./dist/consumers.js --topic orders.created

  TypeScript modules run as they are on Node 22.18+ and 24 (type stripping: no enum, no
  parameter properties, .ts in relative imports); beyond that, under tsx's loader:
    node --import tsx node_modules/.bin/eventwire consumer ./src/consumers.ts`;

/**
 * The text of `eventwire --help`.
 *
 * @example
 * io.stdout.write(generalHelp());
 */
export function generalHelp(): string {
  return `Usage: eventwire consumer <module>... [--topic <topic>]... [--grace-ms <ms>] [--health-port <port> [--health-host <host>]]
       eventwire --help | --version

Commands:
  consumer <module>...  Import each module (a path relative to the current directory);
                        the handlers they register with messageHandler() or
                        createConsumer() run until SIGTERM or SIGINT.
                        See: eventwire consumer --help
  outbox migrate        Create the outbox table in DATABASE_URL's database (needs pg).
  outbox relay          Publish the outbox's staged events until SIGTERM or SIGINT.
                        See: eventwire outbox --help

Options:
  -h, --help     Show this help.
  -v, --version  Print the version.

${exitCodesText}

${environmentText}

${exampleText}
`;
}

/**
 * The text of `eventwire consumer --help`.
 *
 * @example
 * io.stdout.write(consumerHelp());
 */
export function consumerHelp(): string {
  return `${consumerUsage}

Imports each module (a path relative to the current directory), then runs the consumers
they registered with messageHandler() or createConsumer(). On SIGTERM or SIGINT it stops
taking messages, lets in-flight handlers finish, closes the connection and exits 0; a
second signal exits at once with code 1.

${consumerOptions}

${exitCodesText}

${environmentText}

${exampleText}
`;
}
