// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {StakeRegistry} from "./StakeRegistry.sol";

/// @title Court
/// @notice "Swindle": the client of a staked agreement (see StakeRegistry.sol)
/// opens a case against its provider on a promise the provider signed; the
/// court decides it and a guilty verdict forfeits the whole stake to the
/// client. Each case is a small state machine, Open -> Guilty | NotGuilty |
/// Dismissed.
///
/// A promise (EIP-712, below) says the provider holds, under `key`, data
/// whose Merkle root over chunks of CHUNK_SIZE bytes is `root`, `chunks`
/// chunks long (the tree: leaf keccak256(0x00 || chunk), node
/// keccak256(0x01 || left || right), leaves padded with zero hashes to a
/// power of two; docs/challenges.md and pkg/proof).
///
/// Challenges that a past answer cannot win: a case's seed is the hash of
/// the block after the one that opened it, seedBlock, unknown to both
/// parties when the case was opened: seed = keccak256(abi.encode(
/// blockhash(seedBlock), caseId)). Once the block is mined anyone may fix
/// the seed (drawChallenge, drawPanel, or the first response). blockhash
/// reaches back 256 blocks only: a seed not fixed by then is moved to the
/// block after the one that notices (drawChallenge or drawPanel), again
/// unknown in advance.
///
/// - A promise case: the seed picks min(CHALLENGE_CHUNKS, chunks) chunk
///   indices, index i = uint256(keccak256(abi.encode(seed, i))) % chunks.
///   Anyone answers with respond(caseId, chunks, paths): those chunks with
///   their Merkle paths, checked here, before the deadline (opening +
///   responseWindow): not guilty. Past the deadline, judge(caseId): guilty.
/// - A witness case: the seed draws a panel (odd, at most MAX_WITNESSES) from
///   the court's pool of staked witnesses as it stood when the case opened
///   (joining or leaving afterwards cannot steer the draw), never a party,
///   never one twice.
///   Each witness asks the provider for chunks of its own choosing over the
///   network, checks them against the root, and testifies once, directly
///   (testify) or through anyone relaying its signed testimony
///   (testifySigned). The first majority is the verdict. Past the deadline
///   (drawing + testimonyWindow) judge(caseId) dismisses the case, stake
///   kept, and every drawn witness that did not testify loses
///   witnessPenalty of its witness stake. The penalty stays in the court:
///   nobody gains from a witness's silence, so nobody has a reason to cause it.
///
/// A case may be opened only by the agreement's client, only while the
/// agreement is staked and its term not over, and only when no other case is
/// open on it; while a case is open the provider cannot unstake.
///
/// Witnesses join the pool with joinWitnesses, locking witnessStake MFT
/// (approved to this court first), and leave with leaveWitnesses, which
/// returns what is left of the stake, when no case they are called in is open.
///
/// Every verdict emits Verdict and is readable in cases(caseId); the trust
/// record of an address is verdictsAgainst(address) and verdictsFor(address).
///
/// Signatures are EIP-712 in the domain {name: "Mainframe Court", version:
/// "2", chainId, verifyingContract: this court}, 65 bytes r || s || v with v
/// 27 or 28 and low s, over:
///
///     Promise(uint256 agreementId,bytes32 key,bytes32 root,uint64 chunks)   by the provider
///     Testimony(uint256 caseId,bool guilty)                                  by a witness
///     Release(uint256 agreementId,bytes32 root,uint64 count)                 by the client
///
/// A release is the client's word that the provider may drop what it
/// promised under any of `count` keys, the leaves of a Merkle tree with root
/// `root` built like a promise's (leaf keccak256(0x00 || key), the 32-byte
/// key as the chunk). mf-hold's received-lists carry one: a delegate deletes
/// the packets its client says it received, and answers a case opened on
/// one of them afterwards with the release (dismissReleased), which
/// dismisses the case, stake kept.
contract Court is EIP712 {
    using SafeERC20 for IERC20;

    /// @notice EIP-712 type hash of a promise.
    bytes32 public constant PROMISE_TYPEHASH =
        keccak256("Promise(uint256 agreementId,bytes32 key,bytes32 root,uint64 chunks)");
    /// @notice EIP-712 type hash of a testimony.
    bytes32 public constant TESTIMONY_TYPEHASH = keccak256("Testimony(uint256 caseId,bool guilty)");
    /// @notice EIP-712 type hash of a client's release.
    bytes32 public constant RELEASE_TYPEHASH = keccak256("Release(uint256 agreementId,bytes32 root,uint64 count)");
    /// @notice Most witnesses a case may call.
    uint256 public constant MAX_WITNESSES = 7;
    /// @notice Bytes in every chunk of a promise but the last.
    uint256 public constant CHUNK_SIZE = 4096;
    /// @notice Chunks a promise case asks for (fewer if the promise has fewer).
    uint256 public constant CHALLENGE_CHUNKS = 4;
    /// @notice Deepest Merkle tree: a promise covers at most 2^MAX_DEPTH chunks.
    uint256 public constant MAX_DEPTH = 40;

    /// @notice What decides a case.
    enum Kind {
        Promise, // the response to a challenge on the promise
        Witness // the majority of a panel drawn from the pool
    }

    /// @notice Where a case stands.
    enum Status {
        None, // no such case
        Open,
        Guilty, // stake forfeited to the plaintiff
        NotGuilty, // stake kept
        Dismissed // witness case without a majority by the deadline, or a
        // case on a promise the client had released; stake kept
    }

    /// @notice What a called witness said.
    enum Testimony {
        None, // not a witness of the case
        Called, // a witness that has not testified yet
        Guilty,
        NotGuilty
    }

    /// @notice A case.
    struct Case {
        uint256 agreementId;
        address plaintiff; // the agreement's client
        uint64 deadline; // unix time: respond / draw / testify before, judge from
        Kind kind;
        Status status;
        address provider; // the accused
        uint8 witnessCount; // witness cases: the panel's size
        uint8 guiltyVotes;
        uint8 notGuiltyVotes;
        bool drawn; // witness cases: the panel is drawn
        uint32 poolSize; // witness cases: pool slots when the case opened; only they are drawn
        uint64 chunks; // the promise: chunk count...
        uint64 seedBlock; // the block whose hash is the seed
        bytes32 key; // ...what the provider promised to hold...
        bytes32 root; // ...and the Merkle root over its chunks
        bytes32 seed; // zero until fixed
    }

    /// @notice The registry whose stakes this court judges.
    StakeRegistry public immutable registry;
    /// @notice The token stakes (and witness stakes) are in.
    IERC20 public immutable token;
    /// @notice Seconds the provider has to answer a promise case.
    uint64 public immutable responseWindow;
    /// @notice Seconds a panel has to reach a majority once drawn (and the
    /// parties have to draw it once the case is open).
    uint64 public immutable testimonyWindow;
    /// @notice MFT base units a witness locks to join the pool.
    uint256 public immutable witnessStake;
    /// @notice MFT base units a drawn witness loses for not testifying.
    uint256 public immutable witnessPenalty;

    /// @notice Number of cases ever opened; ids run from 1 to caseCount.
    uint256 public caseCount;
    mapping(uint256 => Case) private _cases;
    /// @notice The latest case opened on each agreement (0: none).
    mapping(uint256 => uint256) public latestCase;
    /// @notice What each witness of a case said (None: not a witness).
    mapping(uint256 => mapping(address => Testimony)) public testimonyOf;
    /// @notice Guilty verdicts against each provider.
    mapping(address => uint256) public verdictsAgainst;
    /// @notice Not-guilty verdicts for each provider.
    mapping(address => uint256) public verdictsFor;
    /// @notice Witness stake each address holds in the court.
    mapping(address => uint256) public witnessBalance;
    /// @notice Open cases each witness is called in.
    mapping(address => uint256) public pendingCases;

    mapping(uint256 => address[]) private _witnesses;
    /// @dev Every membership of the pool ever, in the order joined. A slot
    /// is never reused nor moved, so that nothing done after a case opens
    /// changes the order its panel is drawn in: a witness that leaves only
    /// stops counting, and one that joins lands past the case's poolSize.
    address[] private _slots;
    mapping(address => uint256) private _slotOf; // the witness's live slot + 1; 0: not in the pool
    /// @notice Witnesses in the pool now.
    uint256 public witnessCount;

    /// @notice `plaintiff` opened case `caseId` against `provider` on
    /// agreement `agreementId` citing the promise (key, root, chunks) signed
    /// by `signature`; it must be answered (promise case) or its panel
    /// drawn (witness case) before `deadline`.
    event CaseOpened(
        uint256 indexed caseId,
        uint256 indexed agreementId,
        address indexed provider,
        address plaintiff,
        Kind kind,
        uint64 deadline,
        bytes32 key,
        bytes32 root,
        uint64 chunks,
        bytes signature
    );
    /// @notice The seed of case `caseId` is fixed.
    event ChallengeDrawn(uint256 indexed caseId, bytes32 seed);
    /// @notice The seed block of case `caseId` fell out of blockhash's reach
    /// before anyone fixed the seed; it is now `seedBlock`.
    event SeedMoved(uint256 indexed caseId, uint64 seedBlock);
    /// @notice `witness` is called to testify in case `caseId`, before `deadline`.
    event WitnessCalled(uint256 indexed caseId, address indexed witness, uint64 deadline);
    /// @notice `witness` testified in case `caseId`.
    event Testified(uint256 indexed caseId, address indexed witness, bool guilty);
    /// @notice `witness` did not testify in case `caseId` and lost `amount`.
    event WitnessPenalized(uint256 indexed caseId, address indexed witness, uint256 amount);
    /// @notice `witness` joined (true) or left (false) the pool.
    event WitnessPool(address indexed witness, bool joined);
    /// @notice Case `caseId` was decided: `guilty` forfeited the stake of
    /// agreement `agreementId` to `plaintiff`, not guilty left it to `provider`.
    event Verdict(
        uint256 indexed caseId, uint256 indexed agreementId, address indexed provider, address plaintiff, bool guilty
    );
    /// @notice Case `caseId` closed without a verdict (a witness case without
    /// a majority, or a promise the client had released); stake kept.
    event Dismissed(uint256 indexed caseId, uint256 indexed agreementId, address indexed provider, address plaintiff);

    constructor(
        StakeRegistry registry_,
        uint64 responseWindow_,
        uint64 testimonyWindow_,
        uint256 witnessStake_,
        uint256 witnessPenalty_
    ) EIP712("Mainframe Court", "2") {
        require(address(registry_) != address(0), "Court: zero registry");
        require(responseWindow_ > 0 && testimonyWindow_ > 0, "Court: zero window");
        require(witnessStake_ > 0 && witnessPenalty_ > 0 && witnessPenalty_ <= witnessStake_, "Court: bad witness stake");
        registry = registry_;
        token = registry_.token();
        responseWindow = responseWindow_;
        testimonyWindow = testimonyWindow_;
        witnessStake = witnessStake_;
        witnessPenalty = witnessPenalty_;
    }

    // ---- signatures ----

    /// @notice The EIP-712 digest a provider signs to promise it holds data
    /// with Merkle root `root` over `chunks` chunks under `key`, for
    /// agreement `agreementId`.
    function promiseDigest(uint256 agreementId, bytes32 key, bytes32 root, uint64 chunks)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(PROMISE_TYPEHASH, agreementId, key, root, chunks)));
    }

    /// @notice The EIP-712 digest a client signs to release its provider
    /// from the promises under agreement `agreementId` whose keys are the
    /// `count` leaves of the Merkle tree with root `root`.
    function releaseDigest(uint256 agreementId, bytes32 root, uint64 count) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(RELEASE_TYPEHASH, agreementId, root, count)));
    }

    /// @notice The EIP-712 digest a witness signs to testify in case `caseId`.
    function testimonyDigest(uint256 caseId, bool guilty) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(TESTIMONY_TYPEHASH, caseId, guilty)));
    }

    function _signer(bytes32 digest, bytes calldata signature) private pure returns (address) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        return err == ECDSA.RecoverError.NoError ? signer : address(0);
    }

    // ---- the witness pool ----

    /// @notice Joins the pool of witnesses, locking witnessStake MFT (less
    /// what the caller still holds here from an earlier stake), approved to
    /// this court first.
    function joinWitnesses() external {
        require(_slotOf[msg.sender] == 0, "Court: already a witness");
        uint256 have = witnessBalance[msg.sender];
        _slots.push(msg.sender);
        _slotOf[msg.sender] = _slots.length;
        witnessCount += 1;
        emit WitnessPool(msg.sender, true);
        if (have < witnessStake) {
            witnessBalance[msg.sender] = witnessStake;
            token.safeTransferFrom(msg.sender, address(this), witnessStake - have);
        }
    }

    /// @notice Leaves the pool and takes back what is left of the witness
    /// stake; refused while a case the caller is called in is open.
    function leaveWitnesses() external {
        require(pendingCases[msg.sender] == 0, "Court: called in an open case");
        uint256 amount = witnessBalance[msg.sender];
        require(_slotOf[msg.sender] != 0 || amount > 0, "Court: not a witness");
        if (_slotOf[msg.sender] != 0) _leavePool(msg.sender);
        witnessBalance[msg.sender] = 0;
        if (amount > 0) token.safeTransfer(msg.sender, amount);
    }

    function _leavePool(address w) private {
        _slotOf[w] = 0;
        witnessCount -= 1;
        emit WitnessPool(w, false);
    }

    /// @notice The witnesses in the pool now, in the order they joined.
    function witnessPool() external view returns (address[] memory pool) {
        pool = new address[](witnessCount);
        uint256 k = 0;
        for (uint256 i = 0; i < _slots.length; i++) {
            address w = _slots[i];
            if (_slotOf[w] == i + 1) pool[k++] = w;
        }
    }

    /// @notice Whether `w` is in the pool.
    function isWitness(address w) public view returns (bool) {
        return _slotOf[w] != 0;
    }

    // ---- opening ----

    /// @notice Opens a promise case on agreement `agreementId` with the
    /// provider's `signature` over Promise(agreementId, key, root, chunks).
    /// @return caseId the new case's id.
    function openPromiseCase(uint256 agreementId, bytes32 key, bytes32 root, uint64 chunks, bytes calldata signature)
        external
        returns (uint256 caseId)
    {
        caseId = _open(agreementId, key, root, chunks, signature, Kind.Promise, responseWindow);
        registry.markCaseOpen(agreementId);
    }

    /// @notice Opens a witness case on agreement `agreementId` with the
    /// provider's signed promise; a panel of `panelSize` witnesses (odd, at
    /// most MAX_WITNESSES) will be drawn from the pool with drawPanel once
    /// the next block is mined. The pool must hold that many besides the
    /// parties.
    /// @return caseId the new case's id.
    function openWitnessCase(
        uint256 agreementId,
        bytes32 key,
        bytes32 root,
        uint64 chunks,
        bytes calldata signature,
        uint8 panelSize
    ) external returns (uint256 caseId) {
        require(panelSize % 2 == 1 && panelSize <= MAX_WITNESSES, "Court: need an odd number of witnesses, at most 7");
        caseId = _open(agreementId, key, root, chunks, signature, Kind.Witness, testimonyWindow);
        Case storage c = _cases[caseId];
        require(_eligible(c) >= panelSize, "Court: not enough witnesses in the pool");
        c.witnessCount = panelSize;
        c.poolSize = uint32(_slots.length);
        registry.markCaseOpen(agreementId);
    }

    function _open(
        uint256 agreementId,
        bytes32 key,
        bytes32 root,
        uint64 chunks,
        bytes calldata signature,
        Kind kind,
        uint64 window
    ) private returns (uint256 caseId) {
        address provider = _checkOpen(agreementId);
        require(chunks > 0 && chunks <= 2 ** MAX_DEPTH, "Court: chunk count out of range");
        address signer = _signer(promiseDigest(agreementId, key, root, chunks), signature);
        require(signer != address(0) && signer == provider, "Court: invalid promise signature");

        caseId = ++caseCount;
        Case storage c = _cases[caseId];
        c.agreementId = agreementId;
        c.plaintiff = msg.sender;
        c.deadline = uint64(block.timestamp) + window;
        c.kind = kind;
        c.status = Status.Open;
        c.provider = provider;
        c.chunks = chunks;
        c.seedBlock = uint64(block.number) + 1;
        c.key = key;
        c.root = root;
        latestCase[agreementId] = caseId;
        _emitOpened(caseId, c, signature);
    }

    function _emitOpened(uint256 caseId, Case storage c, bytes calldata signature) private {
        emit CaseOpened(
            caseId, c.agreementId, c.provider, c.plaintiff, c.kind, c.deadline, c.key, c.root, c.chunks, signature
        );
    }

    /// @dev Checks the caller may open a case on agreement `agreementId` now
    /// and returns its provider.
    function _checkOpen(uint256 agreementId) private view returns (address) {
        (address provider, uint64 term, StakeRegistry.Status st, bool caseOpen, address client,,) =
            registry.agreements(agreementId);
        require(st != StakeRegistry.Status.None, "Court: unknown agreement");
        require(msg.sender == client, "Court: caller is not the client");
        require(st == StakeRegistry.Status.Staked, "Court: agreement not active");
        require(block.timestamp < term, "Court: agreement expired");
        require(!caseOpen, "Court: case open");
        return provider;
    }

    /// @dev Pool members who are not a party of c.
    function _eligible(Case storage c) private view returns (uint256 n) {
        n = witnessCount;
        if (_slotOf[c.provider] != 0) n--;
        if (_slotOf[c.plaintiff] != 0) n--;
    }

    // ---- seeds ----

    /// @dev Fixes c's seed if its seed block is within reach; otherwise
    /// moves the seed block to the next block and returns false.
    function _fixSeed(uint256 caseId, Case storage c) private returns (bool) {
        if (c.seed != 0) return true;
        require(block.number > c.seedBlock, "Court: seed block not mined yet");
        bytes32 h = blockhash(c.seedBlock);
        if (h == 0) {
            c.seedBlock = uint64(block.number) + 1;
            emit SeedMoved(caseId, c.seedBlock);
            return false;
        }
        c.seed = keccak256(abi.encode(h, caseId));
        emit ChallengeDrawn(caseId, c.seed);
        return true;
    }

    /// @notice Fixes the seed of open case `caseId` (or, if its seed block
    /// is out of reach, moves it to the next block). Anyone may call it; the
    /// plaintiff's agent does as soon as it can, so that nobody can wait for
    /// the seed block to fall out of reach and draw again.
    function drawChallenge(uint256 caseId) external {
        Case storage c = _openCase(caseId);
        require(c.seed == 0, "Court: seed already fixed");
        _fixSeed(caseId, c);
    }

    /// @notice The seed of case `caseId` and the chunk indices a promise
    /// case asks for (a witness case's indices are only informative).
    /// Refused until the seed block is mined, and once it is out of reach
    /// while the seed is not fixed (call drawChallenge).
    function challenge(uint256 caseId) external view returns (bytes32 seed, uint256[] memory indices) {
        Case storage c = _cases[caseId];
        require(c.status != Status.None, "Court: unknown case");
        seed = c.seed;
        if (seed == 0) {
            require(block.number > c.seedBlock, "Court: seed block not mined yet");
            bytes32 h = blockhash(c.seedBlock);
            require(h != 0, "Court: seed block out of reach; call drawChallenge");
            seed = keccak256(abi.encode(h, caseId));
        }
        indices = _indices(seed, c.chunks);
    }

    function _indices(bytes32 seed, uint64 chunks) private pure returns (uint256[] memory idx) {
        uint256 k = chunks < CHALLENGE_CHUNKS ? chunks : CHALLENGE_CHUNKS;
        idx = new uint256[](k);
        for (uint256 i = 0; i < k; i++) {
            idx[i] = uint256(keccak256(abi.encode(seed, i))) % chunks;
        }
    }

    // ---- deciding a promise case ----

    /// @notice Answers promise case `caseId` with the chunks its challenge
    /// asks for, in order, and the Merkle path of each (siblings from the
    /// leaf up). Anyone may send it; before the deadline, a valid answer is
    /// a verdict of not guilty.
    function respond(uint256 caseId, bytes[] calldata chunks, bytes32[][] calldata paths) external {
        Case storage c = _openCase(caseId);
        require(c.kind == Kind.Promise, "Court: not a promise case");
        require(block.timestamp < c.deadline, "Court: deadline passed");
        require(_fixSeed(caseId, c), "Court: seed block out of reach; call drawChallenge");
        uint256[] memory idx = _indices(c.seed, c.chunks);
        require(chunks.length == idx.length && paths.length == idx.length, "Court: wrong number of chunks");
        for (uint256 i = 0; i < idx.length; i++) {
            require(_proves(c.root, c.chunks, idx[i], chunks[i], paths[i]), "Court: chunk does not match the promise");
        }
        _verdict(caseId, c, false);
    }

    /// @notice Whether `chunk` with Merkle path `path` is chunk `index` of
    /// the data a promise (root, chunks) commits to.
    function verifyChunk(bytes32 root, uint64 chunks, uint256 index, bytes calldata chunk, bytes32[] calldata path)
        external
        pure
        returns (bool)
    {
        return chunks > 0 && chunks <= 2 ** MAX_DEPTH && _proves(root, chunks, index, chunk, path);
    }

    function _proves(bytes32 root, uint64 chunks, uint256 index, bytes calldata chunk, bytes32[] calldata path)
        private
        pure
        returns (bool)
    {
        if (chunk.length > CHUNK_SIZE) return false;
        return _climbs(root, chunks, index, keccak256(abi.encodePacked(bytes1(0x00), chunk)), path);
    }

    /// @dev Whether leaf hash `h` with Merkle path `path` is leaf `index` of
    /// the `chunks` leaves under `root`.
    function _climbs(bytes32 root, uint64 chunks, uint256 index, bytes32 h, bytes32[] calldata path)
        private
        pure
        returns (bool)
    {
        if (index >= chunks) return false;
        uint256 depth = 0;
        while ((uint256(1) << depth) < chunks) depth++;
        if (path.length != depth) return false;
        for (uint256 d = 0; d < depth; d++) {
            if ((index >> d) & 1 == 1) {
                h = keccak256(abi.encodePacked(bytes1(0x01), path[d], h));
            } else {
                h = keccak256(abi.encodePacked(bytes1(0x01), h, path[d]));
            }
        }
        return h == root;
    }

    // ---- a released promise ----

    /// @notice Dismisses open case `caseId`, stake kept, with the client's
    /// release of the promise it is about: the client's `signature` over
    /// Release(agreementId, root, count), and the Merkle path showing the
    /// case's key is leaf `index` under `root`. Anyone may send it, before
    /// the deadline. The client cannot take back what it released: a
    /// provider that dropped data on its client's word is not guilty of
    /// dropping it.
    function dismissReleased(
        uint256 caseId,
        bytes32 root,
        uint64 count,
        uint256 index,
        bytes32[] calldata path,
        bytes calldata signature
    ) external {
        Case storage c = _openCase(caseId);
        require(block.timestamp < c.deadline, "Court: deadline passed");
        require(count > 0 && count <= 2 ** MAX_DEPTH, "Court: count out of range");
        address signer = _signer(releaseDigest(c.agreementId, root, count), signature);
        require(signer != address(0) && signer == c.plaintiff, "Court: release not signed by the client");
        require(
            _climbs(root, count, index, keccak256(abi.encodePacked(bytes1(0x00), c.key)), path),
            "Court: the promise is not in the release"
        );
        c.status = Status.Dismissed;
        if (c.kind == Kind.Witness) _release(caseId, false);
        emit Dismissed(caseId, c.agreementId, c.provider, c.plaintiff);
        registry.markCaseClosed(c.agreementId);
    }

    // ---- deciding a witness case ----

    /// @notice Draws the panel of witness case `caseId` from the pool with
    /// the case's seed, once its seed block is mined; the testimony window
    /// starts. Anyone may call it. If the seed block is out of reach, it
    /// moves the seed block instead: call again after the next block.
    function drawPanel(uint256 caseId) external {
        Case storage c = _openCase(caseId);
        require(c.kind == Kind.Witness, "Court: not a witness case");
        require(!c.drawn, "Court: panel already drawn");
        require(block.timestamp < c.deadline, "Court: deadline passed");
        if (!_fixSeed(caseId, c)) return;
        c.drawn = true;
        c.deadline = uint64(block.timestamp) + testimonyWindow;
        _draw(caseId, c);
    }

    /// @dev Draws c.witnessCount distinct witnesses, none a party: the
    /// first ones of a Fisher-Yates shuffle of the c.poolSize slots the pool
    /// had when the case opened, driven by the seed (step i swaps position i
    /// with i + keccak256(abi.encode(seed, i)) % (poolSize - i)), skipping
    /// the parties and the slots whose witness has left since. The order is
    /// fixed when the case opens, and joining or leaving later cannot
    /// change it: a witness that leaves only drops out of it. The shuffle
    /// is virtual: only the positions it moved are kept, in memory.
    function _draw(uint256 caseId, Case storage c) private {
        uint256 size = c.witnessCount;
        uint256 n = c.poolSize;
        address[] memory panel = new address[](size);
        uint256[] memory movedPos = new uint256[](n);
        uint256[] memory movedVal = new uint256[](n);
        uint256 moved = 0;
        uint256 picked = 0;
        for (uint256 i = 0; picked < size; i++) {
            require(i < n, "Court: not enough witnesses in the pool");
            uint256 slot;
            (slot, moved) = _shuffleStep(c.seed, n, movedPos, movedVal, moved, i);
            address w = _slots[slot];
            if (_slotOf[w] != slot + 1 || w == c.provider || w == c.plaintiff) continue;
            panel[picked++] = w;
            testimonyOf[caseId][w] = Testimony.Called;
            pendingCases[w] += 1;
            emit WitnessCalled(caseId, w, c.deadline);
        }
        _witnesses[caseId] = panel;
    }

    /// @dev Step i of the virtual shuffle of n slots: the slot it brings to
    /// position i.
    function _shuffleStep(
        bytes32 seed,
        uint256 n,
        uint256[] memory movedPos,
        uint256[] memory movedVal,
        uint256 moved,
        uint256 i
    ) private pure returns (uint256, uint256) {
        uint256 j = i + uint256(keccak256(abi.encode(seed, i))) % (n - i);
        uint256 vj = _at(movedPos, movedVal, moved, j);
        uint256 vi = _at(movedPos, movedVal, moved, i);
        moved = _put(movedPos, movedVal, moved, j, vi);
        return (vj, moved);
    }

    function _at(uint256[] memory pos, uint256[] memory val, uint256 n, uint256 p) private pure returns (uint256) {
        for (uint256 k = 0; k < n; k++) {
            if (pos[k] == p) return val[k];
        }
        return p;
    }

    function _put(uint256[] memory pos, uint256[] memory val, uint256 n, uint256 p, uint256 v)
        private
        pure
        returns (uint256)
    {
        for (uint256 k = 0; k < n; k++) {
            if (pos[k] == p) {
                val[k] = v;
                return n;
            }
        }
        pos[n] = p;
        val[n] = v;
        return n + 1;
    }

    /// @notice Testifies in witness case `caseId` as the caller.
    function testify(uint256 caseId, bool guilty) external {
        _testify(caseId, msg.sender, guilty);
    }

    /// @notice Relays a witness's signed testimony in case `caseId`; anyone
    /// may send it, the signer is the witness.
    function testifySigned(uint256 caseId, bool guilty, bytes calldata signature) external {
        address witness = _signer(testimonyDigest(caseId, guilty), signature);
        require(witness != address(0), "Court: invalid testimony signature");
        _testify(caseId, witness, guilty);
    }

    function _testify(uint256 caseId, address witness, bool guilty) private {
        Case storage c = _openCase(caseId);
        require(c.kind == Kind.Witness, "Court: not a witness case");
        require(block.timestamp < c.deadline, "Court: deadline passed");
        Testimony t = testimonyOf[caseId][witness];
        require(t != Testimony.None, "Court: not a witness");
        require(t == Testimony.Called, "Court: already testified");

        testimonyOf[caseId][witness] = guilty ? Testimony.Guilty : Testimony.NotGuilty;
        emit Testified(caseId, witness, guilty);
        uint8 majority = c.witnessCount / 2 + 1;
        if (guilty) {
            if (++c.guiltyVotes >= majority) _verdict(caseId, c, true);
        } else {
            if (++c.notGuiltyVotes >= majority) _verdict(caseId, c, false);
        }
    }

    // ---- closing ----

    /// @notice Closes open case `caseId` once its deadline has passed; anyone
    /// may call it. A promise case that was not answered is guilty; a witness
    /// case without a majority is dismissed, and its drawn witnesses that did
    /// not testify lose witnessPenalty each.
    function judge(uint256 caseId) external {
        Case storage c = _openCase(caseId);
        require(block.timestamp >= c.deadline, "Court: deadline not passed");
        if (c.kind == Kind.Promise) {
            _verdict(caseId, c, true);
            return;
        }
        c.status = Status.Dismissed;
        _release(caseId, true);
        emit Dismissed(caseId, c.agreementId, c.provider, c.plaintiff);
        registry.markCaseClosed(c.agreementId);
    }

    /// @dev Frees the witnesses of a closed case; with `penalize`, those
    /// still silent lose witnessPenalty (and their place in the pool once
    /// their stake is below witnessStake).
    function _release(uint256 caseId, bool penalize) private {
        address[] storage panel = _witnesses[caseId];
        for (uint256 i = 0; i < panel.length; i++) {
            address w = panel[i];
            pendingCases[w] -= 1;
            if (!penalize || testimonyOf[caseId][w] != Testimony.Called) continue;
            uint256 bal = witnessBalance[w];
            uint256 pen = bal < witnessPenalty ? bal : witnessPenalty;
            witnessBalance[w] = bal - pen;
            emit WitnessPenalized(caseId, w, pen);
            if (bal - pen < witnessStake && _slotOf[w] != 0) _leavePool(w);
        }
    }

    function _openCase(uint256 caseId) private view returns (Case storage c) {
        c = _cases[caseId];
        require(c.status != Status.None, "Court: unknown case");
        require(c.status == Status.Open, "Court: case closed");
    }

    function _verdict(uint256 caseId, Case storage c, bool guilty) private {
        c.status = guilty ? Status.Guilty : Status.NotGuilty;
        if (c.kind == Kind.Witness) _release(caseId, false);
        if (guilty) {
            verdictsAgainst[c.provider] += 1;
        } else {
            verdictsFor[c.provider] += 1;
        }
        emit Verdict(caseId, c.agreementId, c.provider, c.plaintiff, guilty);
        if (guilty) {
            registry.slash(c.agreementId, c.plaintiff);
        } else {
            registry.markCaseClosed(c.agreementId);
        }
    }

    // ---- reading ----

    /// @notice Case `caseId` (all zero: no such case).
    function cases(uint256 caseId) external view returns (Case memory) {
        return _cases[caseId];
    }

    /// @notice The witnesses drawn for case `caseId`, in the order drawn.
    function witnesses(uint256 caseId) external view returns (address[] memory) {
        return _witnesses[caseId];
    }
}
