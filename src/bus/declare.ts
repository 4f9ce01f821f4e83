import amqp from 'amqplib';

/**
 * Declares the exchange events are published to (durable, like upstream's). RabbitMQ 3.x cannot declare
 * exchanges over AMQP 1.0, so this one set-up step speaks AMQP 0-9-1 to the same listener; declaring an
 * exchange that exists with the same type is a no-op. The server itself only publishes.
 */
export async function declareExchange(uri: string, name: string, type: string): Promise<void> {
  const connection = await amqp.connect(uri);
  try {
    const channel = await connection.createChannel();
    await channel.assertExchange(name, type, { durable: true });
    await channel.close();
  } finally {
    await connection.close();
  }
}
