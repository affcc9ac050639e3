// Verifies webhook deliveries captured by tests/backend/receiver.py with the
// unmodified standardwebhooks package, as a Node.js backend would check them.
//
//   WEBHOOK_SECRET=whsec_... node verify-webhooks.mjs CAPTURE.jsonl
//
// Each line of CAPTURE.jsonl is one delivery {headers, body, ...}. Prints
// "ok LINE TYPE ID" or "FAIL LINE ID: REASON" per delivery and exits 1 when
// any fails or there is none: an empty capture proves nothing.
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';

const [capture] = process.argv.slice(2);
const secret = process.env.WEBHOOK_SECRET;
if (!capture || !secret) {
  console.error('usage: WEBHOOK_SECRET=whsec_... node verify-webhooks.mjs CAPTURE.jsonl');
  process.exit(2);
}

const webhook = new Webhook(secret);
const lines = readFileSync(capture, 'utf8').split('\n').filter((line) => line !== '');
let failed = 0;
lines.forEach((line, index) => {
  const delivery = JSON.parse(line);
  const id = delivery.headers['webhook-id'];
  try {
    // The raw body as it was signed; verify() parses it only once the signature matches.
    const event = webhook.verify(delivery.body, delivery.headers);
    console.log(`ok ${index + 1} ${event.type} ${id}`);
  } catch (error) {
    ++failed;
    console.log(`FAIL ${index + 1} ${id}: ${error.message}`);
  }
});
if (lines.length === 0) console.log('FAIL no deliveries');
process.exit(failed > 0 || lines.length === 0 ? 1 : 0);
