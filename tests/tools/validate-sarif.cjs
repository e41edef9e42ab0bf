// Validates SARIF logs against the OASIS SARIF 2.1.0 JSON schema (as shipped in
// @microsoft/jest-sarif), with Ajv's draft-04 build. usage: node validate-sarif.cjs FILE...
const fs = require("fs");
const path = require("path");
const Ajv = require("ajv-draft-04");
const schemaPath = path.join(path.dirname(require.resolve("@microsoft/jest-sarif/package.json")),
                            "lib/schemas/sarif-2.1.0-rtm.5.json");
const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
// The schema's language pattern is not valid with the u flag (JSON Schema regexes are ECMA-262).
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
require("ajv-formats")(ajv);
const validate = ajv.compile(schema);
let bad = 0;
for (const file of process.argv.slice(2)) {
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  if (!validate(doc)) {
    bad++;
    console.error(`${file}: not valid SARIF 2.1.0:`);
    for (const e of validate.errors.slice(0, 20)) console.error(`  ${e.instancePath || "/"} ${e.message}`);
  } else {
    console.log(`${file}: valid SARIF 2.1.0`);
  }
}
process.exit(bad ? 1 : 0);
