/**
 * A private Postgres server for one test file: its own data directory, port and socket directory, so
 * that stopping or restarting it cannot disturb another test file running at the same time.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The directory holding `initdb`, `pg_ctl` and `postgres`, or undefined when Postgres is not installed. */
export function findPostgresBinDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.BATON_PG_BINDIR) candidates.push(process.env.BATON_PG_BINDIR);
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: 'pipe' }).trim());
  } catch {
    // No pg_config on the PATH: look in the usual Debian and Homebrew places.
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  candidates.push('/usr/local/bin', '/opt/homebrew/bin', '/usr/bin');
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A Postgres cluster in `dir/data`, listening on 127.0.0.1 only. */
export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** `postgres://` URL of a database on this server. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /**
   * Creates and starts a cluster in `dir` (which must exist). initdb refuses to run as root, so as root
   * the server runs as the `postgres` user, which then owns `dir`.
   */
  static async start(bin: string, dir: string): Promise<PrivatePostgres> {
    const pg = new PrivatePostgres(bin, dir, await freePort());
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    await pg.tool('initdb', ['-D', pg.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await pg.pgCtl(['start', '-l', join(dir, 'server.log')]);
    return pg;
  }

  private get data(): string {
    return join(this.dir, 'data');
  }

  /** Stops the server the way a crash would (no shutdown checkpoint), and starts it again after `downMs`. */
  async crashRestart(downMs = 0): Promise<void> {
    await this.pgCtl(['stop', '-m', 'immediate']);
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.pgCtl(['start', '-l', join(this.dir, 'server.log')]);
  }

  /** Stops the server, dropping its connections. */
  async stop(): Promise<void> {
    await this.pgCtl(['stop', '-m', 'immediate']).catch(() => undefined);
  }

  private pgCtl(args: string[]): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    return this.tool('pg_ctl', ['-D', this.data, '-w', '-t', '60', '-o', options, ...args]);
  }

  private async tool(name: string, args: string[]): Promise<void> {
    const path = join(this.bin, name);
    const [file, argv] =
      process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
    // pg_ctl start leaves the server holding the pipes unless its output goes to a file (-l).
    await run(file, argv, { cwd: this.dir, timeout: 90_000 });
  }
}
