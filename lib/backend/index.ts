export { tf } from './tf';
export { selectBackend, currentBackend, describeBackend, trainsOnGpu, BACKENDS, type BackendChoice, type BackendName } from './select';
export { deviceReport, type DeviceReport } from './device';
export { microBenchmark, type MicroBenchmark } from './microbench';
export { speedUpWasm } from './wasmKernels';
export { adapterLine, assertWebgpuHealthy, findAdapter, gpuDoctor, lavapipeIcd, webgpuAdapter, webgpuDispatches, type GpuDoctorCheck, type WebGpuAdapterInfo } from './webgpu';
export { sampleGpu, sampledWhile, type GpuSampler, type GpuUtilization } from './gpuUtilization';
