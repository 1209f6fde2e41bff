// A real journeyd on a free loopback port with its own data folder, serving
// the built web application (the JavaScript twin of tools/journeyd/api_test.py's
// Journeyd), and a small client for setting up through the /v1 API.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const webRoot = path.resolve(here, '..', 'dist');
export const repoRoot = path.resolve(here, '..', '..', '..');

export function journeydPath() {
  return process.env.JOURNEYD || path.join(repoRoot, 'build', 'tools', 'journeyd', 'journeyd');
}

export async function startJourneyd() {
  const binary = journeydPath();
  if (!existsSync(binary)) throw new Error(`journeyd not found at ${binary} (set JOURNEYD)`);
  if (!existsSync(path.join(webRoot, 'index.html'))) throw new Error(`${webRoot}/index.html missing: run scripts/web-build.sh`);
  const data = mkdtempSync(path.join(tmpdir(), 'journey-web-test-'));
  const proc = spawn(binary, [], {
    env: {
      ...process.env,
      JOURNEY_SERVER_LISTEN: '127.0.0.1:0',
      JOURNEY_STORAGE_DATA: data,
      JOURNEY_SCHEDULER_ENABLED: 'false',
      JOURNEY_LIMITS_REQUESTS_PER_SECOND: '0',
      JOURNEY_WEB_ROOT: webRoot,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = [];
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('journeyd did not start in 60 s:\n' + output.join(''))), 60_000);
    let buffered = '';
    const onData = (chunk) => {
      const text = chunk.toString();
      output.push(text);
      buffered += text;
      const m = /lyssnar på https?:\/\/127\.0\.0\.1:(\d+)/.exec(buffered);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (c) => output.push(c.toString()));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`journeyd exited with ${code}:\n` + output.join('')));
    });
  });
  proc.removeAllListeners('exit');
  const admin = readFileSync(path.join(data, 'admin-token'), 'utf8').trim();
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    data,
    admin,
    output,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}

// The /v1 API with one token; throws with the problem's detail on failure.
export function client(base, token) {
  return async function call(method, route, body, headers = {}) {
    const res = await fetch(base + '/v1' + route, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : null;
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    return { status: res.status, etag: res.headers.get('ETag'), json };
  };
}

// UTC calendar day, as journeyd's engine counts "today"; offset in days.
export function day(offset = 0) {
  return new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
}
