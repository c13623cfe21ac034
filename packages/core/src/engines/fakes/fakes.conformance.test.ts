import {
  describeAsrConformance,
  describeCodecConformance,
  describeMtConformance,
  describeTtsConformance,
  describeVadConformance,
} from '../../testing/conformance.ts';
import { EnergyVad, FakeAsr, FakeMt, FakeTts, PcmCodec } from './index.ts';

describeVadConformance('energy', () => new EnergyVad());
describeAsrConformance('fake', () => new FakeAsr());
describeMtConformance('fake', () => new FakeMt(), { sample: { text: 'Hello.', expect: /^\[es\] Hello\.$/ } });
describeTtsConformance('fake', () => new FakeTts());
describeCodecConformance('pcm', () => new PcmCodec());
