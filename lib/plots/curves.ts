import type { EpochRecord } from '../train/loop';
import { baseLayout, keyword, type Figure } from './figure';

/** Loss, accuracy or learning-rate curves of a training history. */
export function trainingCurves(history: EpochRecord[], options: { metric?: string; title?: string } = {}): Figure {
  const metric = keyword('metric', options.metric, ['loss', 'accuracy', 'lr'] as const, 'loss');
  const epochs = history.map((e) => e.epoch);
  const line = (name: string, y: number[]) => ({ type: 'scatter', mode: 'lines+markers', name, x: epochs, y });
  const data = metric === 'loss'
    ? [line('train loss', history.map((e) => e.loss)), line('validation loss', history.map((e) => e.valLoss))]
    : metric === 'accuracy' ? [line('validation accuracy', history.map((e) => e.valAccuracy))] : [line('learning rate', history.map((e) => e.learningRate))];
  return { data, layout: baseLayout(options.title ?? `Training ${metric === 'lr' ? 'learning rate' : metric}`, { xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: metric }, type: metric === 'lr' ? 'log' : 'linear' } }) };
}
