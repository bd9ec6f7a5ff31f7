// Checks synscope --format mermaid output with Mermaid's own parser.
//
//   node tests/mermaid/check.mjs FILE   (FILE "-": standard input)
//
// The output is one or more diagrams, each starting at a line that is exactly
// "sequenceDiagram" (docs/exports.md); only blank lines may come before the
// first. Each diagram is parsed on its own with mermaid.parse() and must be a
// sequence diagram. Prints "ok diagram N (line L)" or "error diagram N (line
// L): message" per diagram, then "diagrams: N, errors: M". Exit status 0 when
// there is at least one diagram and none has an error, 1 otherwise, 2 on bad
// usage. Runs offline: the packages come from package-lock.json (npm ci).
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

// Mermaid sanitizes labels with DOMPurify, which needs a DOM: give it one
// before mermaid is loaded.
const dom = new JSDOM('<!DOCTYPE html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');

if (process.argv.length !== 3) {
	console.error('usage: node check.mjs FILE|-');
	process.exit(2);
}
const text = readFileSync(process.argv[2] === '-' ? 0 : process.argv[2], 'utf8');

// Split into diagrams: [{ line, text }]
const diagrams = [];
let stray = 0;
text.split('\n').forEach((l, i) => {
	if (l === 'sequenceDiagram')
		diagrams.push({ line: i + 1, lines: [] });
	if (diagrams.length)
		diagrams[diagrams.length - 1].lines.push(l);
	else if (l.trim() !== '' && !stray)
		stray = i + 1;
});

let errors = 0;
if (stray) {
	console.log(`error: line ${stray}: text before the first "sequenceDiagram" line`);
	errors++;
}
for (const [n, d] of diagrams.entries()) {
	try {
		const r = await mermaid.parse(d.lines.join('\n') + '\n');
		if (!r || r.diagramType !== 'sequence')
			throw new Error(`not a sequence diagram: ${r && r.diagramType}`);
		console.log(`ok diagram ${n + 1} (line ${d.line})`);
	} catch (e) {
		const msg = String(e && e.message ? e.message : e).replace(/\s*\n\s*/g, ' | ');
		console.log(`error diagram ${n + 1} (line ${d.line}): ${msg}`);
		errors++;
	}
}
console.log(`diagrams: ${diagrams.length}, errors: ${errors}`);
process.exit(diagrams.length && !errors ? 0 : 1);
