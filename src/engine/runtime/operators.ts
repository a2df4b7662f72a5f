/** Instantiates operators from the graph and wires each to its consumers (main and side outputs). */
import { JobDefinitionError } from '../../errors.ts';
import type { JobGraph, GraphNode } from '../api/graph.ts';
import type { Operator, RuntimeContext } from '../operators/operator.ts';
import { FilterOperator, FlatMapOperator, MapOperator } from '../operators/stateless.ts';
import { ProcessOperator } from '../operators/process.ts';
import { ReduceOperator } from '../operators/reduce.ts';
import { WindowOperator } from '../operators/window.ts';
import { CallbackSinkOperator, KafkaSinkOperator, type SinkIO } from '../operators/sink.ts';
import { SourceOperator } from './source.ts';

function create(node: GraphNode, rt: RuntimeContext, io: SinkIO): Operator {
  switch (node.kind) {
    case 'source':
      return new SourceOperator(node, rt);
    case 'map':
      return new MapOperator(node, rt);
    case 'filter':
      return new FilterOperator(node, rt);
    case 'flatMap':
      return new FlatMapOperator(node, rt);
    case 'process':
      return new ProcessOperator(node, rt);
    case 'reduce':
      return new ReduceOperator(node, rt);
    case 'window':
      return new WindowOperator(node, rt);
    case 'sink':
      return node.sink.type === 'kafka' ? new KafkaSinkOperator(node, rt, io) : new CallbackSinkOperator(node, rt);
  }
}

export function createOperators(graph: JobGraph, rt: RuntimeContext, io: SinkIO): Operator[] {
  const ops = graph.nodes.map((n) => create(n, rt, io));
  for (const node of graph.nodes) {
    if (node.parent === undefined) continue;
    const parent = ops[node.parent];
    const op = ops[node.id]!;
    if (!parent) throw new JobDefinitionError('JOB_BAD_GRAPH', `${node.name} has no upstream operator.`);
    if (node.sideTag === undefined) parent.main.push(op);
    else {
      const list = parent.side.get(node.sideTag) ?? [];
      list.push(op);
      parent.side.set(node.sideTag, list);
    }
  }
  return ops;
}
