export { SplitOptions, WalkForwardOptions } from './options';
export { temporalSplit, type TemporalSplit } from './temporal';
export { walkForward, type Fold } from './walkForward';
export { SplitFile, splitFile, saveSplit, loadSplit } from './splitFile';
export { type RowRange, gapBetween } from './ranges';
export { symbolSplit, symbolBlocks, partRanges, splitOfSymbol, type SymbolSegment } from './symbols';
