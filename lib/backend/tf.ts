/**
 * The one TensorFlow.js instance gatebook uses. tfjs-node(-gpu), when installed, registers
 * its backend on this same instance (npm dedupes @tensorflow/tfjs to one copy).
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
