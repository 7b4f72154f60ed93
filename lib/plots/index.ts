export { keyword, baseLayout, type Figure } from './figure';
export { trainingCurves } from './curves';
export { confusionMatrix, rocCurve, rocPoints, prCurve, reliabilityDiagram } from './classification';
export { priceWithSplits, featureDistributions, correlationHeatmap, gateTimeline } from './data';
export { FigureExporter, figureHtml, writeHtml } from './exporter';
export { showFigure } from './notebook';
export { modelComparison } from './comparison';
export { registryComparison } from './registry';
export { remoteRunComparison } from './remote';
