export { display, show, mimeBundle, type MimeBundle } from './display';
export { installKernelspec, kernelspec, doctor, kernelsDir, type KernelspecOptions, type DoctorCheck } from './kernelspec';
