//! Express services in CommonJS JavaScript: app setup, routers, knex repositories,
//! background jobs, an HTTP client, middleware and supertest tests.

use std::io;

use super::{Entity, Gen, Out, fill, get, grow, pascal, service_name, suffix, with};

/// How often a block that can hold a finding holds one: about two findings per thousand
/// lines of JavaScript, besides API004 on each app (no service registers helmet).
const VULNERABLE_JOB: f64 = 0.12;
const VULNERABLE_AGENT: f64 = 0.3;

pub(crate) fn generate(rng: &mut Gen, out: &mut Out<'_>) -> io::Result<()> {
    let mut index = 0;
    while !out.full() {
        let service = service_name(index);
        index += 1;
        let root = format!("legacy/{service}");
        out.other(
            &format!("{root}/package.json"),
            &fill(PACKAGE, &[("service", service)]),
        )?;
        let count = rng.between(3, 7);
        let entities = Entity::several(rng, count);
        out.source(&format!("{root}/src/app.js"), &app(&entities))?;
        let agent = if rng.chance(VULNERABLE_AGENT) {
            AGENT_INSECURE
        } else {
            AGENT
        };
        out.source(
            &format!("{root}/src/lib/http.js"),
            &format!("{HTTP_HEAD}{agent}{HTTP_TAIL}"),
        )?;
        out.source(&format!("{root}/src/middleware/errors.js"), ERRORS)?;
        out.source(&format!("{root}/src/admin.js"), ADMIN)?;
        out.other(&format!("{root}/docs/openapi.yaml"), OPENAPI)?;
        out.source(&format!("{root}/src/graphql.js"), GRAPHQL)?;
        for entity in &entities {
            let vars = entity.vars();
            let kebab = get(&vars, "kebab");
            let files = [
                (format!("{root}/src/routes/{kebab}.js"), routes(rng, &vars)),
                (
                    format!("{root}/src/repositories/{kebab}.js"),
                    repository(rng, entity, &vars),
                ),
                (format!("{root}/src/jobs/{kebab}-jobs.js"), jobs(rng, &vars)),
                (format!("{root}/test/{kebab}.test.js"), tests(rng, &vars)),
            ];
            for (path, text) in files {
                out.source(&path, &text)?;
            }
        }
    }
    Ok(())
}

const PACKAGE: &str = r#"{
  "name": "%service%-api",
  "private": true,
  "main": "src/app.js",
  "scripts": { "start": "node src/app.js", "test": "jest" },
  "dependencies": { "express": "^4.19.2", "knex": "^3.1.0", "pg": "^8.11.5", "node-serialize": "0.0.4" }
}
"#;

fn app(entities: &[Entity]) -> String {
    let mut text = String::from(
        "'use strict';\n\nconst express = require('express');\nconst morgan = require('morgan');\nconst { errorHandler, notFound } = require('./middleware/errors');\n",
    );
    for entity in entities {
        text.push_str(&fill(
            "const %entities%Router = require('./routes/%kebab%');\n",
            &entity.vars(),
        ));
    }
    text.push_str(
        "\nconst app = express();\napp.disable('x-powered-by');\napp.use(express.json({ limit: '1mb' }));\napp.use(morgan('combined'));\n\napp.get('/healthz', (req, res) => res.json({ status: 'ok' }));\n",
    );
    for entity in entities {
        text.push_str(&fill(
            "app.use('/api/%route%', %entities%Router);\n",
            &entity.vars(),
        ));
    }
    text.push_str(
        "\napp.use(notFound);\napp.use(errorHandler);\n\nif (require.main === module) {\n  const port = Number(process.env.PORT || 3000);\n  app.listen(port, () => console.log(`listening on ${port}`));\n}\n\nmodule.exports = app;\n",
    );
    text
}

/// An internal console on its own port: no probe, an unlimited sign-in and an RPC-style
/// path, as consoles grown beside a service tend to have.
const ADMIN: &str = r#"'use strict';

const express = require('express');
const { loginAdmin, getReport } = require('./admin/handlers');
const { Note, Report } = require('./models');

const admin = express();
admin.use(express.json());
admin.post('/admin/login', loginAdmin);
admin.get('/api/v1/admin/getReport', getReport);
admin.post('/api/v1/admin/notes', async (req, res) => {
  res.json(await Note.create({ text: req.body.text }));
});
admin.get('/admin/reports/:id/archive', async (req, res) => {
  await Report.update({ archived: true }, { where: { id: req.params.id } });
  res.redirect('/admin');
});
admin.get('/api/v1/admin/notes', async (req, res) => {
  res.json(await Note.findAll());
});
admin.get('/api/v1/admin/reports/:id', async (req, res) => {
  const report = await Report.findByPk(req.params.id);
  if (!report) {
    return res.json({ error: 'report not found' });
  }
  if (report.deleted) {
    return res.status(410).json({ error: 'report deleted' });
  }
  if (report.draft) {
    return res.status(409).json({ error: 'report is a draft' });
  }
  if (report.locked) {
    return res.status(423).json({ message: 'report is locked' });
  }
  res.json(report);
});

module.exports = admin;
"#;

/// The admin API's spec, behind its code: one path no route serves, one served route
/// missing (X003), one operation without an id or error response (API015).
const OPENAPI: &str = r#"openapi: 3.0.3
info:
  title: Admin API
  version: "1.0"
servers:
  - url: https://admin.example.com/api/v1
components:
  securitySchemes:
    session: { type: apiKey, in: cookie, name: sid }
security:
  - session: []
paths:
  /admin/notes:
    get:
      operationId: listNotes
      responses:
        "200": { description: every note }
        "401": { description: not signed in }
    post:
      operationId: createNote
      responses:
        "200": { description: the note }
        "422": { description: invalid note }
  /admin/getReport:
    get:
      responses:
        "200": { description: the report }
  /admin/exports:
    post:
      operationId: exportNotes
      responses:
        "202": { description: export started }
        "401": { description: not signed in }
"#;

/// A GraphQL endpoint added beside the REST routes, with no query limits.
const GRAPHQL: &str = r#"'use strict';

const { ApolloServer } = require('@apollo/server');
const { typeDefs, resolvers } = require('./schema');

const server = new ApolloServer({ typeDefs, resolvers });

module.exports = server;
"#;

const HTTP_HEAD: &str = r#"'use strict';

const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const axios = require('axios');

"#;

const AGENT: &str = r#"const agent = new https.Agent({
  keepAlive: true,
  ca: process.env.PARTNER_CA ? fs.readFileSync(process.env.PARTNER_CA) : undefined,
});
"#;

const AGENT_INSECURE: &str = r#"// Partner staging uses a self-signed certificate.
const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });

// The partner encrypts its callbacks with a shared key in ECB mode.
function decryptCallback(body) {
  const decipher = crypto.createDecipheriv('aes-128-ecb', Buffer.from(process.env.PARTNER_KEY, 'hex'), null);
  return decipher.update(body, 'base64', 'utf8') + decipher.final('utf8');
}

async function ping(url) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await fetch(url, { method: 'HEAD' });
    } catch (error) {
      console.warn(`ping ${url} failed`, error);
    }
  }
  return null;
}
"#;

const HTTP_TAIL: &str = r#"
const client = axios.create({
  baseURL: process.env.PARTNER_URL,
  httpsAgent: agent,
  timeout: 8000,
});

async function getJson(path, params = {}) {
  const { data } = await client.get(path, { params });
  return data;
}

async function postJson(path, body) {
  const { data, status } = await client.post(path, body, { headers: { 'content-type': 'application/json' } });
  if (status >= 400) {
    throw new Error(`POST ${path} failed: ${status}`);
  }
  return data;
}

module.exports = { client, getJson, postJson };
"#;

const ERRORS: &str = r#"'use strict';

class HttpError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

function notFound(req, res, next) {
  next(new HttpError(404, `no route for ${req.method} ${req.path}`));
}

// eslint-disable-next-line no-unused-vars
function errorHandler(err, req, res, next) {
  const status = err.status || 500;
  if (status >= 500) {
    console.error(err);
  }
  res.status(status).json({ error: { message: status >= 500 ? 'internal error' : err.message, details: err.details } });
}

module.exports = { HttpError, notFound, errorHandler };
"#;

fn routes(rng: &mut Gen, vars: &[(&'static str, String)]) -> String {
    let mut text = fill(ROUTES_HEAD, vars);
    let target = rng.size(2500.0);
    grow(&mut text, target, |i| {
        let block = rng.pick(&[ROUTE_LIST, ROUTE_GET, ROUTE_POST, ROUTE_DELETE]);
        let path = if i == 0 {
            String::new()
        } else {
            format!("/{}", suffix(i).to_lowercase())
        };
        fill(block, &with(vars, &[("path", path)]))
    });
    // One older endpoint per file, written the way legacy code often is: SQL, paths,
    // redirects, URLs and markup built from request input (the taint rules' idioms).
    let legacy = rng.pick(&[LEGACY_SEARCH, LEGACY_EXPORT, LEGACY_PREVIEW, LEGACY_IMPORT]);
    text.push_str(&fill(legacy, vars));
    text.push_str("\nmodule.exports = router;\n");
    text
}

const LEGACY_SEARCH: &str = r#"router.get('/legacy/search', async (req, res, next) => {
  try {
    const pattern = new RegExp(req.query.q, 'i');
    const { rows } = await repo.pool.query(`SELECT id, name FROM %table% WHERE name ILIKE '%${req.query.q}%'`);
    res.json(rows.filter((row) => pattern.test(row.name)));
  } catch (err) {
    next(err);
  }
});

"#;

const LEGACY_EXPORT: &str = r#"router.get('/legacy/export/:file', (req, res) => {
  res.download(path.join(__dirname, '..', 'exports', req.params.file));
});

router.get('/legacy/back', (req, res) => {
  res.redirect(req.query.next || '/');
});

"#;

const LEGACY_PREVIEW: &str = r#"router.post('/legacy/preview', async (req, res, next) => {
  try {
    const page = await fetch(req.body.url, { signal: AbortSignal.timeout(5000) });
    res.send(`<h1>${req.body.title}</h1>${await page.text()}`);
  } catch (err) {
    res.status(502).json({ error: 'preview failed', detail: err.message });
  }
});

"#;

const LEGACY_IMPORT: &str = r#"router.post('/legacy/import', async (req, res, next) => {
  try {
    console.log('import requested', req.body);
    const keep = eval(req.body.filter);
    const created = await repo.Model.create(req.body);
    const similar = await req.app.locals.mongo.collection('%table%').find(req.body).toArray();
    res.status(201).json({ created, similar: similar.filter(keep) });
  } catch (err) {
    next(err);
  }
});

"#;

const ROUTES_HEAD: &str = r#"'use strict';

const path = require('path');
const express = require('express');
const repo = require('../repositories/%kebab%');
const { HttpError } = require('../middleware/errors');

const router = express.Router();

function parsePaging(query) {
  const limit = Math.min(Number.parseInt(query.limit, 10) || 20, 100);
  const offset = Math.max(Number.parseInt(query.offset, 10) || 0, 0);
  return { limit, offset };
}

"#;

const ROUTE_LIST: &str = r#"router.get('%path%', async (req, res, next) => {
  try {
    const { limit, offset } = parsePaging(req.query);
    const [items, total] = await Promise.all([
      repo.list(req.tenantId, { limit, offset, status: req.query.status }),
      repo.count(req.tenantId, { status: req.query.status }),
    ]);
    res.json({ items, total, limit, offset });
  } catch (err) {
    next(err);
  }
});

"#;

const ROUTE_GET: &str = r#"router.get('%path%/:id', async (req, res, next) => {
  try {
    const %entity% = await repo.findById(req.tenantId, req.params.id);
    if (!%entity%) {
      throw new HttpError(404, `%entity_snake% ${req.params.id} not found`);
    }
    res.json(%entity%);
  } catch (err) {
    next(err);
  }
});

"#;

const ROUTE_POST: &str = r#"router.post('%path%', async (req, res, next) => {
  try {
    const errors = [];
    if (typeof req.body !== 'object' || req.body === null) {
      errors.push('body must be an object');
    }
    if (errors.length > 0) {
      throw new HttpError(422, 'invalid %entity_snake%', { errors });
    }
    const created = await repo.insert(req.tenantId, req.body);
    res.status(201).location(`/api/%route%/${created.id}`).json(created);
  } catch (err) {
    next(err);
  }
});

"#;

const ROUTE_DELETE: &str = r#"router.delete('%path%/:id', async (req, res, next) => {
  try {
    const archived = await repo.archive(req.tenantId, req.params.id);
    res.status(archived ? 204 : 404).end();
  } catch (err) {
    next(err);
  }
});

"#;

fn repository(rng: &mut Gen, entity: &Entity, vars: &[(&'static str, String)]) -> String {
    let columns: Vec<String> = entity
        .fields
        .iter()
        .map(|(n, _)| format!("'{n}'"))
        .collect();
    let vars = with(vars, &[("columns", columns.join(", "))]);
    let mut text = fill(REPOSITORY_HEAD, &vars);
    let target = rng.size(2000.0);
    let mut names = Vec::new();
    grow(&mut text, target, |i| {
        let column = rng.pick(&entity.fields).0;
        let name = format!("findBy{}{}", pascal(column), suffix(i));
        names.push(name.clone());
        fill(
            REPOSITORY_FIND_BY,
            &with(&vars, &[("name", name), ("column", column.to_string())]),
        )
    });
    text.push_str(&format!(
        "\nmodule.exports = {{ list, count, findById, insert, archive, {} }};\n",
        names.join(", ")
    ));
    text
}

const REPOSITORY_HEAD: &str = r#"'use strict';

const db = require('../db');

const TABLE = '%table%';
const COLUMNS = ['id', 'tenant_id', 'status', %columns%, 'created_at', 'updated_at'];

function scoped(tenantId) {
  return db(TABLE).where({ tenant_id: tenantId }).whereNot({ status: 'archived' });
}

async function list(tenantId, { limit, offset, status }) {
  const query = scoped(tenantId).select(COLUMNS).orderBy('created_at', 'desc').limit(limit).offset(offset);
  if (status) {
    query.andWhere({ status });
  }
  return query;
}

async function count(tenantId, { status }) {
  const query = scoped(tenantId).count({ total: '*' }).first();
  if (status) {
    query.andWhere({ status });
  }
  const row = await query;
  return Number(row.total);
}

async function findById(tenantId, id) {
  return scoped(tenantId).select(COLUMNS).where({ id }).first();
}

async function insert(tenantId, values) {
  const row = Object.fromEntries(Object.entries(values).filter(([key]) => COLUMNS.includes(key)));
  const [created] = await db(TABLE).insert({ ...row, tenant_id: tenantId, status: 'draft' }).returning(COLUMNS);
  return created;
}

async function archive(tenantId, id) {
  const updated = await db(TABLE).where({ tenant_id: tenantId, id }).update({ status: 'archived', updated_at: db.fn.now() });
  return updated > 0;
}

"#;

const REPOSITORY_FIND_BY: &str = r#"async function %name%(tenantId, value, { limit = 50 } = {}) {
  return scoped(tenantId)
    .select(COLUMNS)
    .where('%column%', value)
    .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }])
    .limit(limit);
}

"#;

fn jobs(rng: &mut Gen, vars: &[(&'static str, String)]) -> String {
    let mut text = fill(JOBS_HEAD, vars);
    let target = rng.size(1800.0);
    let mut names = Vec::new();
    grow(&mut text, target, |i| {
        let n = suffix(i);
        let vulnerable = rng.chance(VULNERABLE_JOB);
        let (block, name) = match (rng.between(0, 2), vulnerable) {
            (0, false) => (JOB_THUMBNAIL, "makeThumbnail"),
            (0, true) => (JOB_THUMBNAIL_SHELL, "makeThumbnail"),
            (1, false) => (JOB_RESTORE, "restoreSnapshot"),
            (1, true) => (JOB_RESTORE_UNSERIALIZE, "restoreSnapshot"),
            _ => (JOB_REINDEX, "reindex"),
        };
        names.push(format!("{name}{n}"));
        fill(block, &with(vars, &[("n", n)]))
    });
    text.push_str(&format!("module.exports = {{ {} }};\n", names.join(", ")));
    text
}

const JOBS_HEAD: &str = r#"'use strict';

const { exec, execFile } = require('child_process');
const { promisify } = require('util');
const serialize = require('node-serialize');
const repo = require('../repositories/%kebab%');

const execFileAsync = promisify(execFile);

"#;

const JOB_THUMBNAIL: &str = r#"async function makeThumbnail%n%(job) {
  const { input, output } = job.data;
  await execFileAsync('convert', [input, '-resize', '320x320', output]);
  return { output };
}

"#;

const JOB_THUMBNAIL_SHELL: &str = r#"function makeThumbnail%n%(job) {
  return new Promise((resolve, reject) => {
    exec(`convert ${job.data.input} -resize 320x320 ${job.data.output}`, (err) => (err ? reject(err) : resolve(job.data)));
  });
}

"#;

const JOB_RESTORE: &str = r#"async function restoreSnapshot%n%(job) {
  const snapshot = JSON.parse(job.data.payload);
  const restored = [];
  for (const row of snapshot.rows || []) {
    restored.push(await repo.insert(job.data.tenantId, row));
  }
  return { restored: restored.length };
}

"#;

const JOB_RESTORE_UNSERIALIZE: &str = r#"async function restoreSnapshot%n%(job) {
  const snapshot = serialize.unserialize(job.data.payload);
  const restored = [];
  for (const row of snapshot.rows || []) {
    restored.push(await repo.insert(job.data.tenantId, row));
  }
  return { restored: restored.length };
}

"#;

const JOB_REINDEX: &str = r#"async function reindex%n%(job) {
  const pageSize = 500;
  let offset = 0;
  let total = 0;
  for (;;) {
    const rows = await repo.list(job.data.tenantId, { limit: pageSize, offset });
    if (rows.length === 0) {
      break;
    }
    total += rows.length;
    offset += pageSize;
    job.progress(Math.round((offset / (offset + pageSize)) * 100));
  }
  return { total };
}

"#;

fn tests(rng: &mut Gen, vars: &[(&'static str, String)]) -> String {
    let mut text = fill(TESTS_HEAD, vars);
    let target = rng.size(1500.0);
    grow(&mut text, target, |i| {
        fill(
            rng.pick(&[TEST_LIST, TEST_MISSING]),
            &with(vars, &[("n", suffix(i))]),
        )
    });
    text.push_str("});\n");
    text
}

const TESTS_HEAD: &str = r#"'use strict';

const request = require('supertest');
const app = require('../src/app');
const repo = require('../src/repositories/%kebab%');

jest.mock('../src/repositories/%kebab%');

describe('/api/%route%', () => {
  beforeEach(() => jest.resetAllMocks());

"#;

const TEST_LIST: &str = r#"  test('lists %words% %n%', async () => {
    repo.list.mockResolvedValue([{ id: '1', status: 'active' }]);
    repo.count.mockResolvedValue(1);
    const res = await request(app).get('/api/%route%?limit=10').set('x-tenant-id', 't1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [{ id: '1', status: 'active' }], total: 1, limit: 10, offset: 0 });
  });

"#;

const TEST_MISSING: &str = r#"  test('answers 404 for a missing %entity_snake% %n%', async () => {
    repo.findById.mockResolvedValue(undefined);
    const res = await request(app).get('/api/%route%/42').set('x-tenant-id', 't1');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(/not found/);
  });

"#;
