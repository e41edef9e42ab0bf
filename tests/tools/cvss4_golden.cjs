// Writes CVSS v4.0 vectors and their scores as the independent calculator of the npm package
// ae-cvss-calculator computes them: tests/data/cvss4/golden.txt, which the unit test
// src/kiln/scan/cvss_test.cpp checks kiln's scores against, and which tests/test_cvss4_oracle.sh
// regenerates to show it is that calculator's output. Deterministic (a fixed-seed generator).
const { Cvss4P0 } = require("ae-cvss-calculator");

let seed = 20261204;
function rand(n) {  // a 31-bit LCG: the same vectors on every run
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return Math.floor((seed / 2147483648) * n);
}
const pick = (values) => values[rand(values.length)];

const base = [["AV", "NALP"], ["AC", "LH"], ["AT", "NP"], ["PR", "NLH"], ["UI", "NPA"],
  ["VC", "HLN"], ["VI", "HLN"], ["VA", "HLN"], ["SC", "HLN"], ["SI", "HLN"], ["SA", "HLN"]];
const threatEnv = [["E", "XAPU"], ["CR", "XHML"], ["IR", "XHML"], ["AR", "XHML"],
  ["MAV", "XNALP"], ["MAC", "XLH"], ["MAT", "XNP"], ["MPR", "XNLH"], ["MUI", "XNPA"],
  ["MVC", "XHLN"], ["MVI", "XHLN"], ["MVA", "XHLN"], ["MSC", "XHLN"], ["MSI", "XSHLN"],
  ["MSA", "XSHLN"]];

const lines = [];
function add(vector) {
  const s = new Cvss4P0(vector).calculateScores();
  lines.push(`${vector} ${s.overall.toFixed(1)}`);
}
const vector = (parts) => "CVSS:4.0/" + parts.map(([k, v]) => `${k}:${v}`).join("/");

add("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N");  // no impact at all
for (let i = 0; i < 3000; i++) add(vector(base.map(([k, v]) => [k, pick(v)])));
for (let i = 0; i < 2000; i++) {
  const parts = base.map(([k, v]) => [k, pick(v)]);
  for (const [k, v] of threatEnv) if (rand(3) === 0) parts.push([k, pick(v)]);
  add(vector(parts));
}
process.stdout.write(lines.join("\n") + "\n");
