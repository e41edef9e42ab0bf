// Checks CycloneDX JSON documents with the validator of @cyclonedx/cyclonedx-library (the
// strict JSON schema of the document's specVersion). Usage: node validate-cyclonedx.cjs FILE...
// Exit 0 when every file is valid; otherwise each file's errors on stderr and exit 1.
'use strict'
const fs = require('fs')
const { Spec, Validation } = require('@cyclonedx/cyclonedx-library')

async function main () {
  let bad = 0
  for (const file of process.argv.slice(2)) {
    const text = fs.readFileSync(file, 'utf8')
    const version = JSON.parse(text).specVersion
    const validator = new Validation.JsonStrictValidator(version)
    const errors = await validator.validate(text)
    if (errors === null) {
      console.log(`${file}: valid CycloneDX ${version}`)
    } else {
      bad++
      const lines = (Array.isArray(errors) ? errors : [errors]).map((e) => `  ${e.instancePath || '/'}: ${e.message || JSON.stringify(e)}`)
      console.error(`${file}: not valid CycloneDX ${version}:\n${lines.join('\n')}`)
    }
  }
  process.exit(bad ? 1 : 0)
}
main().catch((e) => { console.error(e); process.exit(2) })
