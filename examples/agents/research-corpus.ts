/**
 * The research team's local tools: a small built-in corpus of documents standing in for the web
 * (`web_search`, `fetch_document`), and the analyst's `extract_figures` and `calculate`. No network.
 */
import { z } from 'zod';
import { defineTool } from '../../src/tools/define-tool.js';
import { ToolError } from '../../src/tools/tool-errors.js';

/** One document of the corpus. */
export interface CorpusDocument {
  id: string;
  title: string;
  url: string;
  published: string;
  text: string;
}

/** The corpus `web_search` searches: home energy, with figures for the analyst to work on. */
export const CORPUS: readonly CorpusDocument[] = [
  {
    id: 'doc-heat-pump-costs',
    title: 'What a heat pump costs a household to install and run',
    url: 'https://corpus.baton.example/energy/heat-pump-costs',
    published: '2025-09-12',
    text:
      'Replacing a gas boiler with an air-source heat pump costs a typical household about €12,000 installed, ' +
      'of which a public grant covers €5,000 in most regions. A typical home needs 12,000 kWh of heat a year. ' +
      'A modern gas boiler turns 90% of the gas it burns into heat, so it buys about 13,300 kWh of gas at €0.10 per kWh. ' +
      'A heat pump with a seasonal coefficient of performance (COP) of 3.2 needs about 3,750 kWh of electricity ' +
      'for the same heat, at €0.30 per kWh. Households that switch report running costs 10% to 20% lower, ' +
      'and the saving grows where electricity is cheap at night.',
  },
  {
    id: 'doc-heat-pump-cold',
    title: 'Heat pumps in cold climates: how efficient are they really?',
    url: 'https://corpus.baton.example/energy/heat-pump-cold-climates',
    published: '2025-02-03',
    text:
      'Field trials of 700 homes found an average seasonal COP of 3.2 for air-source heat pumps. ' +
      'At an outdoor temperature of -10 °C the COP falls to about 2.0, still twice as efficient as direct electric heating. ' +
      'Well-insulated homes did best; homes with small radiators needed larger ones in 40% of cases. ' +
      'A heat pump lasts 15 to 20 years, against 12 to 15 years for a gas boiler.',
  },
  {
    id: 'doc-gas-boiler-emissions',
    title: 'Gas boilers: efficiency and emissions',
    url: 'https://corpus.baton.example/energy/gas-boilers',
    published: '2024-11-20',
    text:
      'Burning natural gas emits about 0.2 kg of CO2 per kWh. A household heating with gas therefore emits ' +
      'about 2.7 tonnes of CO2 a year for 13,300 kWh of gas. A new condensing boiler costs about €3,500 installed. ' +
      'Several countries will stop new gas boiler installations from 2030.',
  },
  {
    id: 'doc-grid-carbon',
    title: 'How clean is grid electricity in 2025?',
    url: 'https://corpus.baton.example/energy/grid-carbon-2025',
    published: '2025-06-30',
    text:
      'The average carbon intensity of the grid fell to 250 g of CO2 per kWh in 2025, down 35% in ten years. ' +
      'Wind and solar supplied 41% of electricity. Intensity is lowest at night and on windy days.',
  },
  {
    id: 'doc-rooftop-solar',
    title: 'Rooftop solar: what a household can expect',
    url: 'https://corpus.baton.example/energy/rooftop-solar',
    published: '2025-04-18',
    text:
      'Each kilowatt-peak (kWp) of rooftop panels produces about 950 kWh a year in a temperate climate. ' +
      'A 5 kWp system costs about €7,000 installed and pays back in 8 to 10 years. ' +
      'Households use about 30% of their solar output directly, 60% with a home battery.',
  },
  {
    id: 'doc-home-batteries',
    title: 'Home batteries and time-of-use tariffs',
    url: 'https://corpus.baton.example/energy/home-batteries',
    published: '2025-08-07',
    text:
      'A 10 kWh home battery costs about €6,000 installed. On a time-of-use tariff it charges at €0.15 per kWh at night ' +
      'and covers evening use priced at €0.40 per kWh, saving about €400 a year for a typical household.',
  },
];

const STOPWORDS = new Set(
  'a an and are as at be by for from has have how in is it its of on or should that the this to was what when which who why will with about into than then does do'.split(
    ' ',
  ),
);

function terms(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((t) => t.length > 2 && !STOPWORDS.has(t));
}

/** Documents ranked by how many of the query's terms they contain (title terms count double). */
export function searchCorpus(query: string, limit = 3): { doc: CorpusDocument; score: number }[] {
  const wanted = new Set(terms(query));
  return CORPUS.map((doc) => {
    const title = new Set(terms(doc.title));
    const body = new Set(terms(doc.text));
    let score = 0;
    for (const t of wanted) score += (title.has(t) ? 2 : 0) + (body.has(t) ? 1 : 0);
    return { doc, score };
  })
    .filter((hit) => hit.score > 0)
    .sort((a, b) => b.score - a.score || a.doc.id.localeCompare(b.doc.id))
    .slice(0, limit);
}

/**
 * The document a reference names: its id, its URL, or, failing both, the first id or URL that
 * occurs in the text (so a search result pasted whole still finds its top hit).
 */
export function findDocument(ref: string): CorpusDocument | undefined {
  const exact = CORPUS.find((d) => d.id === ref.trim() || d.url === ref.trim());
  if (exact) return exact;
  let first: { doc: CorpusDocument; at: number } | undefined;
  for (const doc of CORPUS) {
    const at = [ref.indexOf(doc.id), ref.indexOf(doc.url)].filter((i) => i >= 0).sort((a, b) => a - b)[0];
    if (at !== undefined && (first === undefined || at < first.at)) first = { doc, at };
  }
  return first?.doc;
}

const snippet = (text: string) => (text.length > 160 ? `${text.slice(0, 157)}...` : text);

/** `web_search`: the corpus stands in for the web. */
export const webSearch = defineTool({
  name: 'web_search',
  description:
    'Searches the document library (a stand-in for the web) and returns the best matches: id, title, URL and a snippet. Read a match in full with fetch_document.',
  input: z.object({
    query: z.string().min(1).max(2_000).describe('Keywords for what you are looking for'),
    limit: z.number().int().min(1).max(5).optional().describe('How many results (default 3)'),
  }),
  handler: ({ query, limit }) => {
    const hits = searchCorpus(query, limit ?? 3);
    if (hits.length === 0) return `No results for "${query}". Try other keywords.`;
    const lines = hits.map(
      ({ doc }, i) =>
        `${i + 1}. ${doc.id}: ${doc.title} (${doc.url}, ${doc.published})\n   ${snippet(doc.text)}`,
    );
    return `${hits.length} results for "${query}":\n${lines.join('\n')}`;
  },
});

/** `fetch_document`: the full text of one document. */
export const fetchDocument = defineTool({
  name: 'fetch_document',
  description: 'Returns the full text of a document found with web_search, by its id (doc-...) or its URL.',
  input: z.object({
    id: z.string().min(1).max(8_000).describe('The document id (doc-...) or URL, as web_search gave it'),
  }),
  handler: ({ id }) => {
    const doc = findDocument(id);
    if (!doc) {
      throw new ToolError('TOOL_FAILED', `no such document: ${id.slice(0, 80)}`, {
        tool: 'fetch_document',
        retryable: false,
        hint: 'Use an id or URL from the results of web_search',
      });
    }
    return `Full text of ${doc.id}: "${doc.title}" (${doc.url}, published ${doc.published})\n${doc.text}`;
  },
});

const FIGURE =
  /(?:[€$£]\s?)?-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:\s?(?:%|kWh|kWp|kg|g|tonnes|years|°C))?|(?:[€$£]\s?)?-?\d+(?:\.\d+)?(?:\s?(?:%|kWh|kWp|kg|g|tonnes|years|°C))?/g;

/** Each figure of a text (numbers with their currency or unit) with the sentence it comes from. */
export function extractFigures(text: string): { figure: string; sentence: string }[] {
  const out: { figure: string; sentence: string }[] = [];
  const sentences = text.split(/(?<=[.!?])\s+|\n+/);
  for (const sentence of sentences) {
    // Dates and URLs hold digits that are not figures.
    const plain = sentence.replace(/\d{4}-\d{2}-\d{2}|https?:\/\/\S+/g, ' ');
    for (const match of plain.matchAll(FIGURE)) {
      const figure = match[0].trim();
      // Bare years and list numbers say nothing on their own.
      if (/^\d{4}$/.test(figure) || /^\d\.$/.test(figure) || figure === '-') continue;
      out.push({ figure, sentence: sentence.trim() });
    }
  }
  return out;
}

/** `extract_figures`: the analyst's first look at a text. */
export const extractFiguresTool = defineTool({
  name: 'extract_figures',
  description:
    'Lists the figures in a text (amounts, percentages, quantities with units), each with the sentence it comes from.',
  input: z.object({ text: z.string().min(1).max(50_000).describe('The text to read, e.g. research notes') }),
  handler: ({ text }) => {
    const figures = extractFigures(text).slice(0, 20);
    if (figures.length === 0) return 'Figures found: none.';
    const seen = new Set<string>();
    const lines: string[] = [];
    for (const { sentence } of figures) {
      if (seen.has(sentence)) continue;
      seen.add(sentence);
      const here = figures.filter((f) => f.sentence === sentence).map((f) => f.figure);
      lines.push(`- ${here.join(', ')}: "${sentence}"`);
    }
    return `Figures found: ${figures.length}, in ${lines.length} sentences:\n${lines.join('\n')}`;
  },
});

/**
 * Evaluates an arithmetic expression: numbers, `+ - * / ^`, parentheses. No names, no calls: a
 * recursive-descent parser rather than `eval`, since the expression comes from a model.
 */
export function evaluate(expression: string): number {
  const tokens = expression.replace(/(\d),(?=\d{3})/g, '$1').match(/\d+(?:\.\d+)?|[-+*/^()]|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const fail = (why: string): never => {
    throw new ToolError('TOOL_INPUT_INVALID', `cannot evaluate ${JSON.stringify(expression)}: ${why}`, {
      tool: 'calculate',
      retryable: false,
      hint: 'Use numbers, + - * / ^ and parentheses only',
    });
  };
  const primary = (): number => {
    const t = tokens[i++];
    if (t === undefined) return fail('it ends too early');
    if (t === '-') return -primary();
    if (t === '(') {
      const v = sum();
      if (tokens[i++] !== ')') fail('a parenthesis is not closed');
      return v;
    }
    if (/^\d/.test(t)) return Number(t);
    return fail(`unexpected ${JSON.stringify(t)}`);
  };
  const power = (): number => {
    const base = primary();
    if (peek() === '^') {
      i++;
      return base ** power();
    }
    return base;
  };
  const product = (): number => {
    let v = power();
    while (peek() === '*' || peek() === '/') v = tokens[i++] === '*' ? v * power() : v / power();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === '+' || peek() === '-') v = tokens[i++] === '+' ? v + product() : v - product();
    return v;
  };
  const value = sum();
  if (i < tokens.length) fail(`unexpected ${JSON.stringify(tokens[i])}`);
  if (!Number.isFinite(value)) fail('the result is not a finite number');
  return value;
}

/** `calculate`: arithmetic the analyst should not do in its head. */
export const calculate = defineTool({
  name: 'calculate',
  description:
    'Evaluates an arithmetic expression exactly (numbers, + - * / ^, parentheses), e.g. "12000 / 3.2 * 0.30".',
  input: z.object({
    expression: z.string().min(1).max(500).describe('The expression'),
    label: z.string().max(200).optional().describe('What the number means, echoed back'),
  }),
  handler: ({ expression, label }) => {
    const value = Math.round(evaluate(expression) * 1e6) / 1e6;
    return `${label ? `${label}: ` : ''}${expression} = ${value}`;
  },
});
