/**
 * The MNIST demo's CNN, shared by the demo (mnist.ts) and the train-step benchmark.
 *
 * @module
 */

import * as mx from "mlx-ts";

const { nn } = mx;

/** Two 3x3 conv + 2x2 max-pool stages (32, 64 channels), then two linear layers (421,642
 * parameters), on [N, 28, 28, 1] images. */
export class Cnn extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3, { padding: 1 });
  conv2 = new nn.Conv2d(32, 64, 3, { padding: 1 });
  pool = new nn.MaxPool2d(2, { stride: 2 });
  fc1 = new nn.Linear(7 * 7 * 64, 128);
  fc2 = new nn.Linear(128, 10);

  forward(x: mx.MxArray): mx.MxArray {
    let y = this.pool.forward(nn.relu(this.conv1.forward(x)));
    y = this.pool.forward(nn.relu(this.conv2.forward(y)));
    y = mx.reshape(y, [y.shape[0]!, -1]);
    return this.fc2.forward(nn.relu(this.fc1.forward(y)));
  }
}
