// Offline validation of Kubernetes manifests against the API schemas of npm kubernetes-models
// (+ @kubernetes-models/cert-manager, /external-secrets), and of custom resources against the
// openAPIV3Schema of any CustomResourceDefinition found in the same input.
//
//   node validate-manifests.mjs [--allow apiVersion/Kind]... FILE...   ("-" = stdin)
//
// Prints one line per object ("ok" or the errors, with file:line of the document) and exits 1
// when any object is invalid, unparseable, or of a kind with no schema that --allow does not name.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const tools = process.env.L1NET_TOOLS || "/opt/l1net-tools";
const nm = join(tools, "node_modules");
const load = (rel) => import(pathToFileURL(join(nm, rel)).href);
const yaml = await load("js-yaml/dist/js-yaml.mjs");
const Ajv = (await load("ajv/dist/ajv.js")).default;
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });

const packages = ["kubernetes-models", "@kubernetes-models/cert-manager",
                  "@kubernetes-models/external-secrets"];

async function findModel(apiVersion, kind) {
  const dir = apiVersion.includes("/") ? apiVersion : `v1`;
  for (const pkg of packages) {
    try {
      const mod = await load(`${pkg}/${dir}/${kind}.js`);
      if (mod[kind]) return mod[kind];
    } catch (e) {
      if (e.code !== "ERR_MODULE_NOT_FOUND") throw e;
    }
  }
  return null;
}

// Split a multi-document YAML file, remembering where each document starts.
function documents(text) {
  const out = [];
  const lines = text.split("\n");
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    if (i === lines.length || /^---(\s|$)/.test(lines[i])) {
      const body = lines.slice(start, i).join("\n");
      // Report the document's first line that is neither blank nor a comment.
      let first = start;
      while (first < i && /^\s*(#.*)?$/.test(lines[first])) first++;
      if (first < i) out.push({ line: first + 1, body });
      start = i + 1;
    }
  }
  return out;
}

const args = process.argv.slice(2);
const allowed = new Set();
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--allow") allowed.add(args[++i]);
  else files.push(args[i]);
}
if (files.length === 0) {
  console.error("usage: validate-manifests.mjs [--allow apiVersion/Kind]... FILE...");
  process.exit(2);
}

const objects = [];
let failures = 0;
for (const file of files) {
  const text = readFileSync(file === "-" ? 0 : file, "utf8");
  for (const doc of documents(text)) {
    const where = `${file}:${doc.line}`;
    let obj;
    try {
      obj = yaml.load(doc.body);
    } catch (e) {
      console.log(`FAIL ${where}: YAML: ${e.message.split("\n")[0]}`);
      failures++;
      continue;
    }
    if (obj === null || obj === undefined) continue;
    if (typeof obj !== "object" || Array.isArray(obj)) {
      console.log(`FAIL ${where}: not a Kubernetes object`);
      failures++;
      continue;
    }
    objects.push({ where, obj });
  }
}

// Schemas of the CRDs in the input, keyed apiVersion/Kind.
const crdSchemas = new Map();
for (const { obj } of objects) {
  if (obj.kind !== "CustomResourceDefinition") continue;
  for (const v of obj.spec?.versions ?? []) {
    const schema = v.schema?.openAPIV3Schema;
    if (schema) crdSchemas.set(`${obj.spec.group}/${v.name}/${obj.spec.names.kind}`, ajv.compile(schema));
  }
}

for (const { where, obj } of objects) {
  const { apiVersion, kind } = obj;
  const id = `${apiVersion}/${kind} ${obj.metadata?.namespace ? obj.metadata.namespace + "/" : ""}${obj.metadata?.name ?? "?"}`;
  const problems = [];
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    problems.push("apiVersion and kind are required strings");
  } else if (!obj.metadata?.name && !obj.metadata?.generateName) {
    problems.push("metadata.name is required");
  }
  if (problems.length === 0) {
    const crd = crdSchemas.get(`${apiVersion}/${kind}`);
    const Model = crd ? null : await findModel(apiVersion, kind);
    if (crd) {
      if (!crd(obj)) for (const e of crd.errors) problems.push(`${e.instancePath || "/"} ${e.message}`);
    } else if (Model) {
      try {
        new Model(obj).validate();
      } catch (e) {
        problems.push(e.message.replace(/\n/g, "; "));
      }
    } else if (allowed.has(`${apiVersion}/${kind}`)) {
      console.log(`skip ${where}: ${id} (no schema, allowed)`);
      continue;
    } else {
      problems.push(`no schema for ${apiVersion}/${kind}`);
    }
  }
  if (problems.length > 0) {
    console.log(`FAIL ${where}: ${id}: ${problems.join("; ")}`);
    failures++;
  } else {
    console.log(`ok   ${where}: ${id}`);
  }
}
console.log(`${objects.length} objects, ${failures} invalid`);
process.exit(failures > 0 ? 1 : 0);
