// @myelin/data/node: readers that need Node's fs and zlib, and sharp for images.
export {
  readIdx,
  loadMnistDirectory,
  loadFashionMnist,
  findMnistFiles,
  FASHION_MNIST_DIRECTORY,
  FASHION_MNIST_CLASSES,
  MNIST_CLASSES,
  type MnistOptions,
} from './node/idx.js';
export { readCsv, loadDigits, DIGITS_PATH } from './node/tables.js';
export { loadImageFolder, ImageFolderDataset, type ImageFolderOptions } from './node/image-folder.js';
export { readBytes, readMaybeGzip } from './node/files.js';
