// Lists, for each language, the keys of en.json its catalogue lacks (with the English text
// to translate) and the keys it has that en.json no longer does. Exits 1 when any differ.
//   npm run i18n:missing            (from ui/)
import { readFileSync } from "node:fs";

const dir = new URL("../src/lib/i18n/", import.meta.url);
const read = (locale) => JSON.parse(readFileSync(new URL(`${locale}.json`, dir), "utf8"));
const english = read("en");
let differs = false;

for (const locale of ["cs", "sk", "pl", "uk"]) {
  const catalogue = read(locale);
  const missing = Object.keys(english).filter((key) => !(key in catalogue));
  const extra = Object.keys(catalogue).filter((key) => !(key in english));
  if (missing.length === 0 && extra.length === 0) continue;
  differs = true;
  console.log(`${locale}.json`);
  for (const key of missing) console.log(`  missing ${JSON.stringify(key)}: ${JSON.stringify(english[key])}`);
  for (const key of extra) console.log(`  extra   ${JSON.stringify(key)}`);
}
if (!differs) console.log("Every catalogue has exactly the keys of en.json.");
process.exit(differs ? 1 : 0);
