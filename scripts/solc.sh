#!/usr/bin/env bash
# Compile pkg/chain/contracts/*.sol with the solc pinned in package-lock.json
# (solcjs, run by node; install it with `npm ci` at the repository root) and
# write <Contract>.abi and <Contract>.bin into OUTDIR (default pkg/chain/build).
# The output depends only on the sources, the lock file and the settings
# below, so it is the same on every machine.
#
# Exit status: 0 ok, 1 compile error, 3 node or the pinned solc is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/pkg/chain/build}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if ! command -v node >/dev/null 2>&1; then
  echo "solc.sh: node is not installed (need Node 20 or later, then npm ci)" >&2
  exit 3
fi
if [ ! -f "$root/node_modules/solc/soljson.js" ]; then
  echo "solc.sh: solc is not installed; run npm ci in $root" >&2
  exit 3
fi

cd "$root"
MF_SOLC_OUT=$out node - <<'JS'
const fs = require('fs');
const path = require('path');
const solc = require('./node_modules/solc');

const want = require('./package.json').devDependencies.solc;
const have = solc.version();
if (!have.startsWith(want + '+')) {
  console.error(`solc.sh: solc ${have} installed, package.json pins ${want}; run npm ci`);
  process.exit(3);
}

const srcDir = 'pkg/chain/contracts';
const contracts = ['MFT', 'Checkbook', 'CheckbookFactory', 'StakeRegistry', 'Court', 'Names'];
const sources = {};
for (const f of fs.readdirSync(srcDir).filter((f) => f.endsWith('.sol')).sort()) {
  sources[f] = { content: fs.readFileSync(path.join(srcDir, f), 'utf8') };
}

const input = {
  language: 'Solidity',
  sources,
  settings: {
    evmVersion: 'cancun',
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};

function findImports(p) {
  const file = p.startsWith('@openzeppelin/') ? path.join('node_modules', p) : path.join(srcDir, p);
  try {
    return { contents: fs.readFileSync(file, 'utf8') };
  } catch (e) {
    return { error: `cannot read ${file}` };
  }
}

const res = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
let failed = false;
for (const e of res.errors || []) {
  console.error(e.formattedMessage.trimEnd());
  if (e.severity === 'error') failed = true;
}
if (failed) process.exit(1);

const out = process.env.MF_SOLC_OUT;
for (const name of contracts) {
  const c = res.contracts[name + '.sol'] && res.contracts[name + '.sol'][name];
  if (!c) {
    console.error(`solc.sh: contract ${name} not found in ${name}.sol`);
    process.exit(1);
  }
  fs.writeFileSync(path.join(out, name + '.abi'), JSON.stringify(c.abi, null, 2) + '\n');
  fs.writeFileSync(path.join(out, name + '.bin'), c.evm.bytecode.object + '\n');
}
JS
