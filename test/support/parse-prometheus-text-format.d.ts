// The package ships no types: what the test uses of it (prom2json's shape, values as strings).
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
