import { join } from 'node:path';
import { f1 } from '../../eval/metrics';
import { saveModel, modelFiles } from '../../models/io';
import { fitLogisticHead, predictLinear } from '../../models/linear';
import { MajorityModel } from '../../models/naive';
import { encodeWindows, encoderParams, pretrainEncoder } from '../../models/pretrain';
import { accuracyOf, valLabels } from '../../train/experiment';
import { accuracy } from '../../eval/metrics';
import type { RunContext } from '../context';
import type { PhaseOutput } from '../phase';

/**
 * Gate pretrain (the seed's gate 3): masked-reconstruction pretraining of a BiLSTM encoder
 * on the training windows without their labels, the encoder saved; then a linear probe —
 * logistic regression on the frozen encoder's features — judged on validation.
 */
export async function pretrainPhase(ctx: RunContext): Promise<PhaseOutput> {
  const data = ctx.modelData();
  const o = ctx.config.workflow.pretrain;
  ctx.log(`    masked reconstruction: ${o.maskStrategy} masks over ${Math.round(o.maskRatio * 100)} % of ${data.window} steps, ${data.train.length} unlabeled windows`);
  const result = await pretrainEncoder(data, { ...o, seed: ctx.config.seed }, (e, improved) =>
    ctx.log(`    epoch ${e.epoch}: masked MSE ${e.loss.toFixed(4)}, val ${e.valLoss.toFixed(4)}${improved ? ' *' : ''} (${e.seconds.toFixed(1)} s)`));
  const dir = ctx.artifact(join('models', ctx.run, 'pretrain', 'encoder'));
  saveModel(dir, {
    family: 'bilstm-encoder', params: encoderParams(o),
    state: { features: data.source.features, window: data.window, featureNames: data.featureNames, scaler: data.scaler, seed: ctx.config.seed, training: null },
    weights: new Map([...result.encoder].map(([name, values]) => [name, { shape: [values.length], values }])),
    extra: { pretraining: o, history: result.history, bestValLoss: result.bestValLoss, zeroValLoss: result.zeroValLoss },
  });
  ctx.log('    linear probe on the frozen encoder');
  const train = encodeWindows(result.encoder, o, data.source, data.train, data.window);
  const val = encodeWindows(result.encoder, o, data.source, data.val, data.window);
  const y = valLabels(data);
  const head = await fitLogisticHead(
    { x: train.x, y: Array.from(data.train, (e) => data.source.labels[e]), rows: data.train.length },
    { x: val.x, y, rows: data.val.length }, train.columns, { train: { ...ctx.config.train, seed: ctx.config.seed } },
  );
  const p = predictLinear(head, val.x, data.val.length);
  return {
    metrics: {
      val_loss: result.bestValLoss,
      zero_val_loss: result.zeroValLoss,
      val_loss_ratio: result.bestValLoss / result.zeroValLoss,
      epochs: result.history.length,
      samples_per_second: Math.round(result.samplesPerSecond),
      probe_accuracy: accuracy(y, p),
      probe_f1: f1(y, p),
      majority_val_accuracy: accuracyOf(await new MajorityModel().fit(data), data),
      mask_ratio: o.maskRatio,
      train_windows: data.train.length,
    },
    artifacts: modelFiles(dir),
    note: `encoder (BiLSTM ${o.layers}×${o.units}) saved in ${dir}; masked MSE ${result.bestValLoss.toFixed(4)} vs ${result.zeroValLoss.toFixed(4)} for predicting the centre`,
  };
}
