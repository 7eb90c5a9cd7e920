// sysbench output parser: public entry points (see README.md for formats and decisions).
export { parseSysbenchOutput, detectSysbenchVersion } from './parse.js';
export { parseIntervalLine } from './interval.js';
