export { display, show, mimeBundle, inKernel, richBundle, registerRichBundler, settleDisplays, type MimeBundle, type RichBundler } from './display';
export { prompt } from './prompt';
export { comms, CommManager, Comm, type CommMessage } from './comms';
export { Widget, widgetsAvailable, progressBar, html, button, vbox, hbox } from './widgets';
export { installKernelspec, kernelspec, kernelCommand, doctor, kernelsDir, type KernelspecOptions, type DoctorCheck } from './kernelspec';
