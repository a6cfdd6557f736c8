// Runs the BSI CSAF validator library (@secvisogram/csaf-validator-lib) on CSAF 2.0 files:
// the strict CSAF 2.0 schema, every mandatory test, and the optional and informative tests
// (reported, not failing).
//
//   node tests/tools/csaf_validator.mjs LIB_DIR FILE...
//
// LIB_DIR is the installed package (.../node_modules/@secvisogram/csaf-validator-lib).
// Prints one JSON object per file on a line: {"file", "valid", "errors", "warnings", "infos"}
// where "valid" covers the schema and the mandatory tests only.
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import path from 'node:path'

const [lib, ...files] = process.argv.slice(2)
const load = async (name) => import(pathToFileURL(path.join(lib, name)).href)
const validateStrict = (await load('validateStrict.js')).default
const schema = await load('schemaTests.js')
const mandatory = await load('mandatoryTests.js')
const optional = await load('optionalTests.js')
const informative = await load('informativeTests.js')

const strictTests = [schema.csaf_2_0_strict, ...Object.values(mandatory)]
// 6.3.8 (spell check) needs hunspell; 6.2.x tests that fetch URLs are not run offline
const offline = (t) => !['informativeTest_6_3_8'].includes(t.name)
const extraTests = [...Object.values(optional), ...Object.values(informative)].filter(offline)

const flat = (result, key) =>
  result.tests.flatMap((t) => t[key].map((e) => ({ test: t.name, ...e })))

for (const file of files) {
  const doc = JSON.parse(readFileSync(file, 'utf8'))
  const strict = await validateStrict(strictTests, doc)
  const extra = await validateStrict(extraTests, doc)
  const out = {
    file,
    valid: strict.isValid,
    errors: flat(strict, 'errors'),
    warnings: [...flat(strict, 'warnings'), ...flat(extra, 'warnings'), ...flat(extra, 'errors')],
    infos: [...flat(strict, 'infos'), ...flat(extra, 'infos')],
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}
