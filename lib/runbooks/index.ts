export { parseExpression, ExpressionSyntaxError, type Node } from './expression';
export { evaluate, EvaluationError, type EvaluationContext, type Evidence } from './evaluate';
export { readRunbook, parseRunbook, type Runbook, type RunbookItem } from './runbook';
export { verifyRunbook, verifyRunbookFile, formatRunbookResult, contextOf, type RunbookResult, type ItemResult } from './verify';
export { gatesOfRunbook, listRunbooks } from './scope';
