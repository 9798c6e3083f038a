export * from './vocabulary-term.js';
export * from './consent-vocabulary.service.js';
export * from './consent-vocabulary.module.js';
