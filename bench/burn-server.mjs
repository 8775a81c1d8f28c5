// A reference for the crowd scenario: bare Fastify answering a small JSON body after spending
// BURN_US microseconds of CPU per request (what the API spends), in its own process.
import Fastify from 'fastify';

const burnNs = BigInt(Math.round(Number(process.env.BURN_US ?? 0) * 1000));
const body = JSON.stringify({ status: 'ok' });
const app = Fastify();
app.get('/', (_request, reply) => {
  const start = process.hrtime.bigint();
  while (process.hrtime.bigint() - start < burnNs);
  void reply.type('application/json; charset=utf-8').send(body);
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.send?.({ port: app.server.address().port });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
