export * from './catalog.module';
export * from './catalog-worker.module';
export * from './catalog.service';
export * from './catalog.config';
export * from './constants';
export * from './dto/product.dto';
export { normalisePrice, priceProblem } from './dto/price';
export { ReviewPuller } from './reviews/review-pull.service';
export { PendingSweeper } from './publish/pending-sweeper.service';
