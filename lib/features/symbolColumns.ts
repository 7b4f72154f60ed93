/**
 * A multi-symbol model's symbol input: one indicator column per symbol, named
 * `symbol=<S>` (1 on that symbol's rows, else 0), computed from the `symbol` column
 * wherever a model reads it (training, prediction, signals) — never stored with the
 * features. Fed through a model's first dense projection, the indicators select one learned
 * vector per symbol added at every step: an embedding table of the symbols.
 */
export const SYMBOL_INDICATOR = 'symbol=';

export function isSymbolIndicator(name: string): boolean {
  return name.startsWith(SYMBOL_INDICATOR);
}

export function symbolIndicatorNames(symbols: readonly string[]): string[] {
  return symbols.map((s) => `${SYMBOL_INDICATOR}${s}`);
}

/** The indicator column of `name` over a symbol column: 1 where the row's symbol is the one named. */
export function symbolIndicator(name: string, symbols: ArrayLike<string>): Float64Array {
  const symbol = name.slice(SYMBOL_INDICATOR.length);
  return Float64Array.from({ length: symbols.length }, (_, i) => (symbols[i] === symbol ? 1 : 0));
}
