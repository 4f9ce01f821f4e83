// pm2 process file. pm2 only supervises here: it restarts the server if it dies and keeps its logs.
// Worker processes, when WAZO_AUTH_WORKERS > 1, belong to the server's own primary (src/cluster), never
// to pm2's cluster mode: uWS binds its own sockets, so pm2's balancer would not see the traffic anyway.
// Keep `instances: 1` and `exec_mode: 'fork'`.
const config = {
  apps: [
    {
      name: 'wazo-auth-ts',
      script: 'src/main.ts',
      interpreter: 'node',
      node_args: ['--import', 'tsx'],
      instances: 1,
      exec_mode: 'fork',
      kill_timeout: 15000,
      env: {
        WAZO_AUTH_CONFIG: '/etc/wazo-auth-ts/config.yml',
      },
    },
  ],
};

export const apps = config.apps;
export default config;
