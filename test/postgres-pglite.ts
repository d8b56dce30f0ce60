/**
 * PGlite (Postgres compiled to WASM, in process) served on a loopback port, for machines with no
 * Postgres server.
 *
 * One PGlite instance is one database and ONE session. Each test database is therefore a whole
 * instance: a client's database name and startup parameters (`options=-c search_path=...`,
 * `statement_timeout`) are ignored, and `SET` or `LISTEN` on one connection holds for all of them.
 *
 * The server here, not `PGLiteSocketServer` from `@electric-sql/pglite-socket` 0.2.17: that one
 * interleaves the extended-protocol messages of concurrent connections (Parse of A, Parse of B, Bind
 * of A), so a pool of more than one connection gets "unnamed prepared statement does not exist" or
 * binds the other query's statement (electric-sql/pglite#1046). Here a connection owns the session
 * from its first message until the backend reports `ReadyForQuery` idle: a whole extended-protocol
 * exchange, or a whole transaction, runs before any other connection's. And because the session
 * delivers every `NOTIFY` to whichever connection ran the query, notifications are copied to the other
 * connections too, so a client's `LISTEN` connection hears them.
 * @module
 */
import { createServer, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;
const CANCEL_REQUEST = 80_877_102;
/** Sync: ends whatever extended-protocol exchange a vanished client left half done. */
const SYNC = Uint8Array.of(0x53, 0, 0, 0, 4);

/** A PGlite instance served on a random loopback port. */
export interface ServedPglite {
  db: PGlite;
  url: string;
  /** Closes every connection, the server and the instance. */
  stop: () => Promise<void>;
}

/** Starts a PGlite instance, empty or from a `dumpDataDir()` archive, and serves it on 127.0.0.1. */
export async function servePglite(dataDir?: Blob): Promise<ServedPglite> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dataDir ? { loadDataDir: dataDir } : {});
  const session = new Session(db);
  const server = createServer((socket) => session.attach(socket));
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  }).catch(async (err) => {
    await db.close();
    throw err;
  });
  return {
    db,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      await session.closeAll();
      await closed;
      await db.close();
    },
  };
}

/** The one backend session, handed to one connection at a time. */
class Session {
  private readonly connections = new Set<Connection>();
  private owner: Connection | undefined;
  private readonly waiting: { connection: Connection; grant: () => void }[] = [];

  constructor(readonly db: PGlite) {}

  attach(socket: Socket): void {
    const connection = new Connection(this, socket);
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }

  owns(connection: Connection): boolean {
    return this.owner === connection;
  }

  async acquire(connection: Connection): Promise<void> {
    if (this.owner === connection) return;
    if (this.owner === undefined) {
      this.owner = connection;
      return;
    }
    await new Promise<void>((grant) => this.waiting.push({ connection, grant }));
  }

  release(connection: Connection): void {
    if (this.owner !== connection) return;
    const next = this.waiting.shift();
    this.owner = next?.connection;
    next?.grant();
  }

  /** Runs one frontend message and returns the backend's whole reply. */
  async run(message: Uint8Array): Promise<Buffer> {
    const chunks: Uint8Array[] = [];
    await this.db.runExclusive(() =>
      this.db.execProtocolRawStream(message, { onRawData: (data) => chunks.push(data.slice()) }),
    );
    return Buffer.concat(chunks);
  }

  /** Copies NotificationResponse messages to every connection but `from`, which already has them. */
  broadcast(from: Connection, notifications: Buffer[]): void {
    for (const connection of this.connections) {
      if (connection !== from && connection.ready) for (const n of notifications) connection.send(n);
    }
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.connections].map((c) => c.close()));
  }
}

/** One client connection: frames its messages and runs them in order while it owns the session. */
class Connection {
  /** Startup answered: the client may now receive notifications. */
  ready = false;
  private buffer = Buffer.alloc(0);
  private started = false;
  private closed = false;
  private readonly queue: Buffer[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly session: Session,
    private readonly socket: Socket,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (data) => this.receive(data));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      void this.kick();
    });
  }

  send(data: Buffer): void {
    if (!this.closed && this.socket.writable) this.socket.write(data);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.socket.destroy();
    await this.kick();
  }

  private receive(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      let length: number;
      if (!this.started) {
        if (this.buffer.length < 8) break;
        length = this.buffer.readInt32BE(0);
        const code = this.buffer.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.buffer = this.buffer.subarray(8);
          this.send(Buffer.from('N'));
          continue;
        }
        if (code === CANCEL_REQUEST) {
          this.socket.destroy();
          return;
        }
      } else {
        if (this.buffer.length < 5) break;
        length = 1 + this.buffer.readInt32BE(1);
      }
      if (this.buffer.length < length) break;
      this.started = true;
      this.queue.push(this.buffer.subarray(0, length));
      this.buffer = this.buffer.subarray(length);
    }
    void this.kick();
  }

  private kick(): Promise<void> {
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0 && !this.closed) void this.kick();
    });
    return this.draining;
  }

  /** Runs the queued messages; once the client is gone, cleans up after it. */
  private async drain(): Promise<void> {
    try {
      for (let message = this.queue.shift(); message && !this.closed; message = this.queue.shift()) {
        // Terminate: the backend session outlives the client, so it is not passed on.
        if (message[0] === 0x58) {
          this.closed = true;
          this.socket.end();
          break;
        }
        await this.session.acquire(this);
        if (this.closed) break;
        const reply = await this.session.run(message);
        this.send(reply);
        this.ready = true;
        const { notifications, status } = scan(reply);
        if (notifications.length > 0) this.session.broadcast(this, notifications);
        if (status === 'I') this.session.release(this);
      }
    } catch {
      this.closed = true;
      this.socket.destroy();
    }
    if (this.closed) await this.abandon();
  }

  /** Ends the exchange or transaction a vanished client left open, and frees the session. */
  private async abandon(): Promise<void> {
    this.queue.length = 0;
    if (!this.session.owns(this)) return;
    try {
      const { status } = scan(await this.session.run(SYNC));
      if (status !== 'I') await this.session.run(simpleQuery('ROLLBACK'));
    } catch {
      // The instance is closing; nothing left to clean.
    } finally {
      this.session.release(this);
    }
  }
}

/** The NotificationResponse messages in a backend reply, and the status of its last ReadyForQuery. */
function scan(reply: Buffer): { notifications: Buffer[]; status: string | undefined } {
  const notifications: Buffer[] = [];
  let status: string | undefined;
  for (let at = 0; at + 5 <= reply.length; ) {
    const end = at + 1 + reply.readInt32BE(at + 1);
    if (reply[at] === 0x41) notifications.push(reply.subarray(at, end));
    if (reply[at] === 0x5a) status = String.fromCharCode(reply[at + 5] ?? 0);
    at = end;
  }
  return { notifications, status };
}

function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`);
  const message = Buffer.alloc(5 + text.length);
  message.write('Q', 0);
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}
