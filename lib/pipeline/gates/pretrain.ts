import { join } from 'node:path';
import { z } from 'zod';
import { accuracyOf, valLabels } from '../../eval/evaluate';
import { accuracy, f1 } from '../../eval/metrics';
import { encodeWindows, encoderParams, fitLogisticHead, MajorityModel, modelFiles, predictLinear, pretrainEncoder, saveModel } from '../../models';
import { defineGate } from '../gate';
import { marginOverMajority } from '../judgeModel';

/**
 * Gate pretrain (the seed's gate 3): masked-reconstruction pretraining of a BiLSTM encoder
 * on the training windows without their labels, the encoder saved; then a linear probe —
 * logistic regression on the frozen encoder's features — judged on validation.
 */
export const pretrainGate = defineGate({
  id: 'pretrain', phase: 'gated', title: 'masked pretraining: reconstruction beats zero, linear probe ≥ target', requires: ['smoke'],
  runbook: 'runbooks/10_gated_workflow.md', keyMetric: 'probe_accuracy',
  thresholds: z.object({
    /** the seed's gate 3: a linear probe on the frozen encoder reaches this on validation */
    min_probe_accuracy: z.number().min(0).max(1).default(0.55),
    min_margin_over_majority: marginOverMajority,
  }).strict(),
  checks: [
    { metric: 'val_loss_ratio', op: '<', threshold: 1, why: 'the encoder reconstructs masked steps no better than predicting the centre' },
    { metric: 'probe_accuracy', op: '>=', threshold: 'min_probe_accuracy' },
    { metric: 'probe_accuracy', op: '>', ref: { gate: 'pretrain', metric: 'majority_val_accuracy', offset: 'min_margin_over_majority' } },
  ],
  async run(ctx) {
    const data = ctx.modelData();
    const o = ctx.config.workflow.pretrain;
    ctx.log(`    masked reconstruction: ${o.maskStrategy} masks over ${Math.round(o.maskRatio * 100)} % of ${data.window} steps, ${data.train.length} unlabeled windows`);
    const result = await pretrainEncoder(data, { ...o, seed: ctx.config.seed }, (e, improved) =>
      ctx.log(`    epoch ${e.epoch}: masked MSE ${e.loss.toFixed(4)}, val ${e.valLoss.toFixed(4)}${improved ? ' *' : ''} (${e.seconds.toFixed(1)} s)`));
    const dir = ctx.artifact(join('models', ctx.run, 'pretrain', 'encoder'));
    saveModel(dir, {
      family: 'bilstm-encoder', params: encoderParams(o),
      inputs: { featureNames: data.featureNames, window: data.window, scaler: data.scaler, seed: ctx.config.seed }, training: null,
      weights: new Map([...result.encoder].map(([name, values]) => [name, { shape: [values.length], values }])),
      extra: { pretraining: o, history: result.history, bestValLoss: result.bestValLoss, zeroValLoss: result.zeroValLoss },
    });
    ctx.log('    linear probe on the frozen encoder');
    const train = await encodeWindows(result.encoder, o, data.source, data.train, data.window);
    const val = await encodeWindows(result.encoder, o, data.source, data.val, data.window);
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
        majority_val_accuracy: await accuracyOf(await new MajorityModel().fit(data), data),
        mask_ratio: o.maskRatio,
        train_windows: data.train.length,
      },
      artifacts: modelFiles(dir),
      note: `encoder (BiLSTM ${o.layers}×${o.units}) saved in ${dir}; masked MSE ${result.bestValLoss.toFixed(4)} vs ${result.zeroValLoss.toFixed(4)} for predicting the centre`,
    };
  },
});
