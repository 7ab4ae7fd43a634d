import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A listening server: its base URL and a close that does not wait for idle keep-alive sockets. */
export interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts `server` on the port and host (port 0 picks a free one) and tracks its sockets, so
 * `close` ends hanging requests and keep-alive connections at once instead of waiting for them.
 */
export async function listen(server: Server, port: number, host: string): Promise<Listening> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostInUrl}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        for (const socket of sockets) socket.destroy();
      }),
  };
}
