/**
 * The anchors of `bench:triton-overhead`: real proxies a user would put in front of Triton instead of
 * the gateway, configured as plain pass-throughs (no auth, no retries, no access log) with one worker
 * each, like the gateway's one event loop; and the two Node.js floors (./floors/). Started and
 * stopped here, on loopback ports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts, groupMembers } from '../../gateway/test/interop/triton-server';

export const PROXY_NAMES = ['envoy', 'nginx', 'grpc-js-floor', 'node-http2-floor'] as const;
export type ProxyName = (typeof PROXY_NAMES)[number];

const FLOOR_SCRIPTS: Partial<Record<ProxyName, string>> = {
  'grpc-js-floor': 'grpc-js-pass-through.js',
  'node-http2-floor': 'node-http2-pass-through.js',
};

export interface RunningProxy {
  name: ProxyName;
  version: string;
  /** host:port of its HTTP/1.1 (KServe REST) and HTTP/2 (KServe gRPC) listeners; floors: gRPC only. */
  httpAddress?: string;
  grpcAddress: string;
  /** Process group id: the master and its workers (nginx), or the one process (Envoy). */
  pgid: number;
  /** Every live member's pid, to read CPU from /proc. */
  members(): number[];
  stop(): Promise<void>;
}

/** Where Triton listens, as the proxies' upstreams. */
export interface Upstreams {
  http: string;
  grpc: string;
}

const REPO_ROOT = resolve(__dirname, '../..');
const ENVOY_BINARY = join(REPO_ROOT, '.venv-perf/lib/python3.11/site-packages/envoy/_bin/envoy');
const NGINX_BINARY = '/usr/sbin/nginx';
const READY_TIMEOUT_MS = 30_000;

export async function startProxy(
  name: ProxyName,
  upstreams: Upstreams,
  workDir: string,
): Promise<RunningProxy> {
  const floor = FLOOR_SCRIPTS[name];
  if (floor) return startFloor(name, floor, upstreams);
  return name === 'envoy' ? startEnvoy(upstreams, workDir) : startNginx(upstreams, workDir);
}

async function startFloor(
  name: ProxyName,
  script: string,
  upstreams: Upstreams,
): Promise<RunningProxy> {
  const ports = await freePorts();
  const child = spawn(
    process.execPath,
    [join(__dirname, 'floors', script), `127.0.0.1:${ports.grpc}`, upstreams.grpc],
    // An IPC channel, so that it exits when the benchmark goes away.
    { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  child.unref();
  return running(name, `Node.js ${process.version}`, child, { grpc: ports.grpc });
}

async function startEnvoy(upstreams: Upstreams, workDir: string): Promise<RunningProxy> {
  const ports = await freePorts();
  const dir = join(workDir, 'envoy');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'envoy.json');
  writeFileSync(config, JSON.stringify(envoyConfig(ports, upstreams), null, 2));
  const child = spawnProxy(ENVOY_BINARY, [
    ...['-c', config, '--concurrency', '1', '--disable-hot-restart', '-l', 'warning'],
    // A base id of its own, so a second Envoy on the machine never shares its shared memory.
    ...['--base-id', String(ports.metrics)],
  ]);
  return running('envoy', versionOf(ENVOY_BINARY, ['--version']), child, ports);
}

async function startNginx(upstreams: Upstreams, workDir: string): Promise<RunningProxy> {
  const ports = await freePorts();
  const dir = join(workDir, 'nginx');
  mkdirSync(join(dir, 'temp'), { recursive: true });
  const config = join(dir, 'nginx.conf');
  writeFileSync(config, nginxConfig(ports, upstreams, dir));
  const child = spawnProxy(NGINX_BINARY, ['-p', dir, '-c', config, '-e', 'stderr']);
  return running('nginx', versionOf(NGINX_BINARY, ['-v']), child, ports);
}

/** Its own process group, so a stop reaches nginx's worker too. */
function spawnProxy(binary: string, args: string[]): ChildProcess {
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
  child.unref();
  return child;
}

async function running(
  name: ProxyName,
  version: string,
  child: ChildProcess,
  ports: { http?: number; grpc: number },
): Promise<RunningProxy> {
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`${name} did not start`);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const up = async (port: number | undefined): Promise<boolean> =>
    port === undefined || listening(port);
  while (!(await up(ports.http)) || !(await up(ports.grpc))) {
    if (exited) throw new Error(`${name} exited during start-up (its log is above)`);
    if (Date.now() > deadline) {
      process.kill(-pgid, 'SIGKILL');
      throw new Error(`${name} did not listen within ${READY_TIMEOUT_MS} ms`);
    }
    await sleep(100);
  }
  return {
    name,
    version,
    httpAddress: ports.http === undefined ? undefined : `127.0.0.1:${ports.http}`,
    grpcAddress: `127.0.0.1:${ports.grpc}`,
    pgid,
    members: () => groupMembers(pgid),
    stop: async () => {
      if (exited) return;
      const gone = once(child, 'exit');
      process.kill(-pgid, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-pgid, 'SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

function versionOf(binary: string, args: string[]): string {
  const run = spawnSync(binary, args, { encoding: 'utf8' });
  return `${run.stdout}${run.stderr}`.trim().split('\n')[0];
}

function hostPort(address: string): { address: string; port_value: number } {
  const [host, port] = address.split(':');
  return { address: host, port_value: Number(port) };
}

/** Two listeners (REST over HTTP/1.1, gRPC over HTTP/2) routing everything to Triton. */
function envoyConfig(
  ports: { http: number; grpc: number; metrics: number },
  upstreams: Upstreams,
): unknown {
  const listener = (name: string, port: number, cluster: string): unknown => ({
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type':
                'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: name,
              codec_type: 'AUTO',
              route_config: {
                virtual_hosts: [
                  {
                    name: 'triton',
                    domains: ['*'],
                    // No route timeout: perf_analyzer's own deadlines apply, as through the gateway.
                    routes: [{ match: { prefix: '/' }, route: { cluster, timeout: '0s' } }],
                  },
                ],
              },
              http_filters: [
                {
                  name: 'envoy.filters.http.router',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                  },
                },
              ],
            },
          },
        ],
      },
    ],
  });
  const cluster = (name: string, upstream: string, http2: boolean): unknown => ({
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: name,
      endpoints: [
        { lb_endpoints: [{ endpoint: { address: { socket_address: hostPort(upstream) } } }] },
      ],
    },
    ...(http2 && {
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          explicit_http_config: { http2_protocol_options: {} },
        },
      },
    }),
  });
  return {
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: ports.metrics } } },
    static_resources: {
      listeners: [
        listener('kserve_http', ports.http, 'triton_http'),
        listener('kserve_grpc', ports.grpc, 'triton_grpc'),
      ],
      clusters: [
        cluster('triton_http', upstreams.http, false),
        cluster('triton_grpc', upstreams.grpc, true),
      ],
    },
  };
}

/**
 * proxy_pass (HTTP/1.1 keep-alive upstream) and grpc_pass, streaming both ways; bodies stay in
 * memory (a 2 MB tensor would otherwise go through a temporary file).
 */
function nginxConfig(
  ports: { http: number; grpc: number },
  upstreams: Upstreams,
  dir: string,
): string {
  const temp = join(dir, 'temp');
  return `daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
  client_max_body_size 0;
  client_body_buffer_size 8m;
  upstream triton_http { server ${upstreams.http}; keepalive 64; }
  upstream triton_grpc { server ${upstreams.grpc}; keepalive 64; }
  server {
    listen 127.0.0.1:${ports.http};
    location / {
      proxy_pass http://triton_http;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_read_timeout 300s;
    }
  }
  server {
    listen 127.0.0.1:${ports.grpc} http2;
    location / {
      grpc_pass grpc://triton_grpc;
      grpc_read_timeout 300s;
      grpc_buffer_size 1m;
    }
  }
}
`;
}
