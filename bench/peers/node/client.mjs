// client.mjs - bench peer: the official OpenAI Node SDK (`openai` on npm) driven with a
// bounded-concurrency pool, the usual way to batch with it: N async workers take the
// next request from a shared cursor and await client.chat.completions.create().
//
// Usage: OPENAI_API_KEY=... node client.mjs BASE_URL CONCURRENCY PLAN
// PLAN is a text file, one request per line: the path of a file holding the exact
// request body visionbatch sent (bench/peers/bodies.py writes it). Each body is parsed
// and handed to the SDK, which serialises it again with JSON.stringify; the bench checks
// that the bytes the server receives are the same as visionbatch's.
// Prints one line: "ok N failed M". The SDK's own retries (2, honouring retry-after) stay
// as they are by default.
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';

const [baseURL, concArg, planPath] = process.argv.slice(2);
const concurrency = Number(concArg);
if (!baseURL || !(concurrency > 0) || !planPath) {
    console.error('usage: node client.mjs BASE_URL CONCURRENCY PLAN');
    process.exit(2);
}
const plan = readFileSync(planPath, 'utf8').split('\n').filter((l) => l.length > 0);
const bodies = new Map(); // body file -> parsed request (each distinct body read once)
const client = new OpenAI({ baseURL, apiKey: process.env.OPENAI_API_KEY });

let next = 0;
let ok = 0;
let failed = 0;
async function worker() {
    while (next < plan.length) {
        const path = plan[next++];
        let body = bodies.get(path);
        if (body === undefined) {
            body = JSON.parse(readFileSync(path, 'utf8'));
            bodies.set(path, body);
        }
        try {
            const r = await client.chat.completions.create(body);
            if (r.choices && r.choices.length > 0) ok++;
            else failed++;
        } catch (e) {
            failed++;
        }
    }
}
await Promise.all(Array.from({ length: concurrency }, worker));
console.log(`ok ${ok} failed ${failed}`);
