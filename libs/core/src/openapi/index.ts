export * from './api-problem.decorator';
export * from './openapi-document';
